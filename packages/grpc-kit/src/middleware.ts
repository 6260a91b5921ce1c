import type { DescMessage, Message } from "@bufbuild/protobuf";
import type { CallContext } from "./call-context.js";

/** The unary method a call is for. */
export interface UnaryMethod {
  /** e.g. "faultmaven.session.v1.SessionService". */
  readonly service: string;
  /** e.g. "GetSession". */
  readonly name: string;
  readonly input: DescMessage;
  readonly output: DescMessage;
}

/** One unary call as it travels through the pipeline. */
export interface UnaryCall {
  readonly method: UnaryMethod;
  readonly request: Message;
  readonly context: CallContext;
}

/** The rest of the pipeline: resolves with the response (a message init shape) or throws. */
export type Next = (call: UnaryCall) => Promise<object>;

/**
 * One step of the per-call pipeline, nice-grpc style: do something around
 * `next(call)` (or instead of it), and return its response or throw.
 */
export type Middleware = (call: UnaryCall, next: Next) => Promise<object>;

/** Chains middleware, the first one outermost: compose(a, b)(call, next) runs a(b(next)). */
export function composeMiddleware(...middleware: readonly Middleware[]): Middleware {
  return (call, next) => {
    const run = (index: number, current: UnaryCall): Promise<object> => {
      const step = middleware[index];
      return step ? step(current, (passed) => run(index + 1, passed)) : next(current);
    };
    return run(0, call);
  };
}
