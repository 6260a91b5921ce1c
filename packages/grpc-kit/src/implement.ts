import { create, type DescMethod, type Message, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { status, type sendUnaryData, type ServerUnaryCall, type UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { createCallContext, type CallContext } from "./call-context.js";
import { ServiceError } from "@faultmaven/errors";
import { toStatus } from "./status-details.js";
import { validateRequest } from "./request-validation.js";

/** One async function per unary RPC, keyed by the method's localName. */
export type UnaryHandlers<T extends GenServiceMethods> = {
  [K in keyof T]: (request: MessageShape<T[K]["input"]>, context: CallContext) => Promise<MessageInitShape<T[K]["output"]>>;
};

/** The handlers of a generated service: `ServiceHandlers<typeof SessionService>`. */
export type ServiceHandlers<S> = S extends GenService<infer T> ? UnaryHandlers<T> : never;

/** Told of every finished call (metrics hang here). */
export type CallObserver = (event: { service: string; method: string; code: status; seconds: number; error?: unknown }) => void;

/**
 * Turns typed async handlers into a grpc-js implementation. Each call gets a
 * context (deadline, abort signal, logger); its outcome is logged once with
 * the status code and duration (never the request body); every error goes
 * through `toStatus`, and an unexpected one is logged with its stack while
 * the caller only sees "internal error".
 */
export function implement<T extends GenServiceMethods>(
  service: GenService<T>,
  handlers: UnaryHandlers<T>,
  options: { logger: Logger; observers?: readonly CallObserver[] },
): UntypedServiceImplementation {
  const implementation: UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const handler = handlers[method.localName as keyof T];
    if (method.methodKind !== "unary" || handler === undefined) {
      throw new Error(`${service.typeName}/${method.name}: no unary handler`);
    }
    implementation[method.localName] = unary(service.typeName, method, handler as never, options);
  }
  return implementation;
}

function unary(
  serviceName: string,
  method: DescMethod,
  handler: (request: unknown, context: CallContext) => Promise<MessageInitShape<DescMethod["output"]>>,
  options: { logger: Logger; observers?: readonly CallObserver[] },
) {
  const fullName = `${serviceName}/${method.name}`;
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
    const started = process.hrtime.bigint();
    const context = createCallContext(call, fullName, options.logger);
    const finish = (code: status, error?: unknown) => {
      const reason = error instanceof ServiceError ? { reason: error.reason } : {};
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      context.logger.info({ code: status[code], duration_ms: Math.round(seconds * 1e4) / 10, peer: call.getPeer(), ...reason }, "rpc");
      for (const observe of options.observers ?? []) observe({ service: serviceName, method: method.name, code, seconds, error });
    };
    const validated = async () => {
      validateRequest(method.input, call.request as Message);
      return handler(call.request, context);
    };
    validated().then(
      (response) => {
        if (context.signal.aborted) return finish(status.CANCELLED);
        callback(null, create(method.output, response));
        finish(status.OK);
      },
      (error: unknown) => {
        const mapped = toStatus(error);
        if (mapped.unexpected) {
          context.logger.error({ err: error }, "unexpected error");
        }
        if (context.signal.aborted) return finish(status.CANCELLED, error);
        callback(mapped.status);
        finish(mapped.status.code, error);
      },
    );
  };
}
