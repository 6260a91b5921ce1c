import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { CallContext } from "./call-context.js";

/** The method a call is for (unary or server-streaming). */
export interface UnaryMethod {
  /** e.g. "faultmaven.session.v1.SessionService". */
  readonly service: string;
  /** e.g. "GetSession". */
  readonly name: string;
  readonly input: DescMessage;
  readonly output: DescMessage;
}

/**
 * One call as it travels through the pipeline: a unary call, or a
 * server-streaming one (its single request; `stream` set), which the same
 * middleware serves.
 */
export interface UnaryCall {
  readonly method: UnaryMethod;
  readonly request: Message;
  readonly context: CallContext;
  /** Set for a server-streaming call: how many messages it has sent so far. */
  readonly stream?: { readonly sent: number };
}

/** The rest of the pipeline: resolves with the response (a message init shape; `{}` for a stream) or throws. */
export type Next = (call: UnaryCall) => Promise<object>;

/**
 * One step of the per-call pipeline, nice-grpc style: do something around
 * `next(call)` (or instead of it), and return its response or throw.
 */
export type Middleware = (call: UnaryCall, next: Next) => Promise<object>;

/**
 * Chains middleware, the first one outermost: compose(a, b)(call, next) runs
 * a(b(next)). Every link answers with a promise, even a step (or `next`)
 * that throws synchronously, so no step needs its own guard for that. The
 * chain for a given `next` (a method's handler) is built once, so a call
 * allocates no closure per step.
 */
export function composeMiddleware(...middleware: readonly Middleware[]): Middleware {
  const chains = new WeakMap<Next, Next>();
  return (call, next) => {
    let chain = chains.get(next);
    if (chain === undefined) {
      chain = middleware.reduceRight<Next>(
        (rest, step) => (current) => settled(() => step(current, rest)),
        (current) => settled(() => next(current)),
      );
      chains.set(next, chain);
    }
    return chain(call);
  };
}

/** `work()`'s promise, or a rejection with what it threw synchronously. */
function settled(work: () => Promise<object>): Promise<object> {
  try {
    return work();
  } catch (error) {
    return Promise.reject(error);
  }
}
