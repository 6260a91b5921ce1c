import { create, type DescMethod, type Message, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { createCallContext, type CallContext } from "./call-context.js";
import { bindIdempotencyKeys } from "./bind-idempotency-key.js";
import type { Authorization } from "./authorization.js";
import { authorizeCalls, type PermissionDenial } from "./authorize-calls.js";
import { enterCallScope } from "./enter-call-scope.js";
import { logCalls } from "./log-calls.js";
import { composeMiddleware, type Middleware, type UnaryCall, type UnaryMethod } from "./middleware.js";
import { observeCalls, type CallObserver } from "./observe-calls.js";
import { OpenStreams } from "./open-streams.js";
import { serveServerStream, type StreamHandler } from "./serve-server-stream.js";
import type { ServerStream } from "./server-stream.js";
import { rejectUndecodableRequests } from "./reject-undecodable-requests.js";
import { reportCalls } from "./report-calls.js";
import { toStatus } from "./status-details.js";
import { validateRequests } from "./validate-requests.js";

/** The handler of one method: a unary one resolves with its response, a server-streaming one sends through `stream` and resolves when done. */
export type MethodHandler<M extends GenServiceMethods[string]> = M["methodKind"] extends "server_streaming"
  ? (request: MessageShape<M["input"]>, context: CallContext, stream: ServerStream<M["output"]>) => Promise<void>
  : (request: MessageShape<M["input"]>, context: CallContext) => Promise<MessageInitShape<M["output"]>>;

/** One async function per RPC (unary or server-streaming), keyed by the method's localName. */
export type UnaryHandlers<T extends GenServiceMethods> = {
  [K in keyof T]: MethodHandler<T[K]>;
};

/** The handlers of a generated service: `ServiceHandlers<typeof SessionService>`. */
export type ServiceHandlers<S> = S extends GenService<infer T> ? UnaryHandlers<T> : never;

/** Default for GRPC_MAX_SERVER_STREAMS when `implement` is used on its own. */
const DEFAULT_MAX_SERVER_STREAMS = 1000;

/** What `implement` needs besides the handlers. */
export interface ImplementOptions {
  readonly logger: Logger;
  readonly observers?: readonly CallObserver[];
  /** How long replies to calls with an idempotency key are kept (default 15 min). */
  readonly idempotencyWindowMs?: number;
  /** Extra steps run after validation, just before the handler (limits, ...). */
  readonly middleware?: readonly Middleware[];
  /** The process's open server streams (cap, shutdown, metrics); share one between `implement` and `serve`. */
  readonly streams?: OpenStreams;
  /** Who may call what (resolveAuthorization); without it every caller may call every method. */
  readonly authorization?: Authorization;
  /** Told of every call the authorization policy refuses (for the audit trail); must not throw. */
  readonly onPermissionDenied?: (denial: PermissionDenial) => void;
}

/**
 * The per-call pipeline, outermost first: metrics, the "rpc" log line,
 * the call scope (deadline and cancellation reach every store call),
 * authorization (`authorize`: before anything looks at the request),
 * undecodable requests, request validation, the idempotency key, then the
 * caller's middleware and the handler.
 */
export function pipeline(options: ImplementOptions, authorize?: Middleware): Middleware {
  return composeMiddleware(
    reportCalls(observeCalls(options.observers ?? []), logCalls(options.logger)),
    enterCallScope,
    ...(authorize ? [authorize] : []),
    rejectUndecodableRequests,
    validateRequests,
    bindIdempotencyKeys(options.idempotencyWindowMs ?? 15 * 60_000),
    ...(options.middleware ?? []),
  );
}

/**
 * Turns typed async handlers into a grpc-js implementation. Each call gets a
 * context (deadline, abort signal, logger) and runs through `pipeline`;
 * whatever it throws is answered through `toStatus` (an unexpected error is
 * logged with its stack while the caller only sees "internal error").
 * Unary and server-streaming methods are served (see `serveServerStream`);
 * a service with client- or bidi-streaming methods is refused at start.
 */
export function implement<T extends GenServiceMethods>(
  service: GenService<T>,
  handlers: UnaryHandlers<T>,
  options: ImplementOptions,
): UntypedServiceImplementation {
  const access = options.authorization?.accessFor(service);
  const middleware = pipeline(options, access && authorizeCalls(access, options.onPermissionDenied));
  const trust = (identity: string | undefined) => options.authorization?.trustsClientAddressFrom(identity) ?? false;
  const streams = options.streams ?? new OpenStreams(DEFAULT_MAX_SERVER_STREAMS);
  const implementation: UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const handler = handlers[method.localName as keyof T];
    if (handler === undefined) throw new Error(`${service.typeName}/${method.name}: no handler`);
    if (method.methodKind === "unary") {
      implementation[method.localName] = unary(service.typeName, method, handler as never, middleware, options.logger, trust);
    } else if (method.methodKind === "server_streaming") {
      implementation[method.localName] = serveServerStream(
        service.typeName,
        method,
        handler as unknown as StreamHandler,
        middleware,
        options.logger,
        streams,
        trust,
      ) as (call: ServerWritableStream<unknown, unknown>) => void;
    } else {
      throw new Error(`${service.typeName}/${method.name}: ${method.methodKind} methods are not supported`);
    }
  }
  return implementation;
}

function unary(
  serviceName: string,
  method: DescMethod,
  handler: (request: Message, context: CallContext) => Promise<object>,
  middleware: Middleware,
  logger: Logger,
  trustsClientAddressFrom: (identity: string | undefined) => boolean,
) {
  const info: UnaryMethod = { service: serviceName, name: method.name, input: method.input, output: method.output };
  const fullName = `${serviceName}/${method.name}`;
  const last = (call: UnaryCall) => handler(call.request, call.context);
  return (call: ServerUnaryCall<Message, unknown>, callback: sendUnaryData<unknown>) => {
    const { context, close } = createCallContext(call as ServerUnaryCall<unknown, unknown>, fullName, logger, trustsClientAddressFrom);
    // The composed pipeline answers with a promise even when a step throws synchronously.
    middleware({ method: info, request: call.request, context }, last).then(
      (response) => {
        close();
        callback(null, create(method.output, response as MessageInitShape<DescMethod["output"]>));
      },
      (error: unknown) => {
        close();
        callback(toStatus(error).status);
      },
    );
  };
}
