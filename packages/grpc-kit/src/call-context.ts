import type { Metadata, ServerUnaryCall } from "@grpc/grpc-js";
import type { Logger } from "pino";

/** What a handler knows about the call besides its request. */
export interface CallContext {
  /** Full method name, e.g. "faultmaven.session.v1.SessionService/GetSession". */
  readonly method: string;
  /** The caller's deadline, when it set one. */
  readonly deadline: Date | undefined;
  /** Aborted when the caller cancels or the deadline passes: stop work then. */
  readonly signal: AbortSignal;
  readonly metadata: Metadata;
  /** Logger bound to this call (method, request id). */
  readonly logger: Logger;
}

/** Builds the context of one unary call; the signal follows the call's cancellation. */
export function createCallContext(call: ServerUnaryCall<unknown, unknown>, method: string, logger: Logger): CallContext {
  const controller = new AbortController();
  call.once("cancelled", () => controller.abort(new Error("call cancelled or deadline exceeded")));
  const rawDeadline = call.getDeadline();
  const deadline = rawDeadline instanceof Date ? rawDeadline : Number.isFinite(rawDeadline) ? new Date(rawDeadline) : undefined;
  const requestId = call.metadata.get("x-request-id")[0];
  return {
    method,
    deadline,
    signal: controller.signal,
    metadata: call.metadata,
    logger: logger.child({ method, ...(requestId ? { request_id: String(requestId) } : {}) }),
  };
}
