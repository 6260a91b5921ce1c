import { status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { ServiceError } from "@faultmaven/errors";
import { peerAddress } from "./caller.js";
import { causeChain } from "./cause-chain.js";
import { ConnectionClosingError } from "./connection-closing-error.js";
import type { Middleware } from "./middleware.js";
import { ServerShuttingDownError } from "./server-shutting-down-error.js";
import { statusCodeOf } from "./status-details.js";

/** Codes that mean a store, contention or the caller's clock stopped the call: worth a warning, not an error. */
const WARN = new Set<status>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED, status.ABORTED]);

/**
 * Logs one "rpc" line per call (bound to the call: method, request id,
 * caller identity): status code, duration, peer, source, the messages a
 * stream sent, the ErrorInfo reason and the cause chain of a failure
 * ("redis: Command timed out").
 * Never the request or response body. An unexpected error (answered
 * INTERNAL) is logged with its stack. A stream's ordinary ends (its caller
 * leaving, the server draining or closing its connection) are info, not
 * warnings.
 */
export function logCalls(logger: Logger): Middleware {
  // The line holds no request or response field, so it skips redaction (a sizeable share of a line's cost);
  // a line with an unexpected error (`err`) goes through the redacting process logger. Both get the call's
  // bindings in the line itself, not from a child logger (which would repeat them).
  const rpcLogger = logger.child({}, { redact: { paths: [] } });
  return async (call, next) => {
    const started = process.hrtime.bigint();
    const line = (code: status) => ({
      ...call.context.logBindings,
      code: status[code],
      duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10,
      peer: call.context.peer,
      // The end user's address, when a trusted gateway named it.
      ...(call.context.caller.source === peerAddress(call.context.peer) ? {} : { source: call.context.caller.source }),
      ...(call.stream === undefined ? {} : { messages_sent: call.stream.sent }),
    });
    try {
      const response = await next(call);
      rpcLogger.info(line(status.OK), "rpc");
      return response;
    } catch (error) {
      const code = statusCodeOf(error);
      const cause = causeChain(error);
      const fields = {
        ...line(code),
        ...(error instanceof ServiceError ? { reason: error.reason } : { err: error }),
        ...(cause === undefined ? {} : { cause }),
      };
      if (!(error instanceof ServiceError)) logger.error(fields, "rpc");
      else if (WARN.has(code) && !(call.stream !== undefined && ordinaryStreamEnd(error))) rpcLogger.warn(fields, "rpc");
      else rpcLogger.info(fields, "rpc");
      throw error;
    }
  };
}

function ordinaryStreamEnd(error: ServiceError): boolean {
  return error.code === "CANCELLED" || error instanceof ServerShuttingDownError || error instanceof ConnectionClosingError;
}
