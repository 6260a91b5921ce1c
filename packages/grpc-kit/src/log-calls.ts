import { status } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { ServiceError } from "@faultmaven/errors";
import { peerAddress } from "./caller.js";
import { causeChain } from "./cause-chain.js";
import { ConnectionClosingError } from "./connection-closing-error.js";
import type { UnaryCall } from "./middleware.js";
import type { CallReporter } from "./report-calls.js";
import { ServerShuttingDownError } from "./server-shutting-down-error.js";

/** Codes that mean a store, contention or the caller's clock stopped the call: worth a warning, not an error. */
const WARN = new Set<status>([status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.CANCELLED, status.ABORTED]);

/**
 * Logs one "rpc" line per call as it settles (a reporter of reportCalls),
 * with the call's bindings (method, request id, caller identity): status code, duration, peer, source, the messages a
 * stream sent, the ErrorInfo reason and the cause chain of a failure
 * ("redis: Command timed out").
 * Never the request or response body. An unexpected error (answered
 * INTERNAL) is logged with its stack. A stream's ordinary ends (its caller
 * leaving, the server draining or closing its connection) are info, not
 * warnings.
 */
export function logCalls(logger: Logger): CallReporter {
  // The line holds no request or response field, so it skips redaction (a sizeable share of a line's cost);
  // a line with an unexpected error (`err`) goes through the redacting process logger. Both get the call's
  // bindings in the line itself, not from a child logger (which would repeat them).
  const rpcLogger = logger.child({}, { redact: { paths: [] } });
  return (call, startedNs, code, error) => {
    const fields = line(call, startedNs, code);
    if (code === status.OK) {
      rpcLogger.info(fields, "rpc");
      return;
    }
    const cause = causeChain(error);
    if (cause !== undefined) fields.cause = cause;
    if (!(error instanceof ServiceError)) {
      fields.err = error;
      logger.error(fields, "rpc");
      return;
    }
    fields.reason = error.reason;
    if (WARN.has(code) && !(call.stream !== undefined && ordinaryStreamEnd(error))) rpcLogger.warn(fields, "rpc");
    else rpcLogger.info(fields, "rpc");
  };
}

/** The line's fields, built one by one: spreads of the bindings and of optional fields allocate on every call. */
function line(call: UnaryCall, startedNs: bigint, code: status): Record<string, unknown> {
  const { context } = call;
  const fields: Record<string, unknown> = Object.assign({}, context.logBindings);
  fields.code = status[code];
  fields.duration_ms = Math.round(Number(process.hrtime.bigint() - startedNs) / 1e5) / 10;
  fields.peer = context.peer;
  // The end user's address, when a trusted gateway named it.
  if (context.caller.source !== peerAddress(context.peer)) fields.source = context.caller.source;
  if (call.stream !== undefined) fields.messages_sent = call.stream.sent;
  return fields;
}

function ordinaryStreamEnd(error: ServiceError): boolean {
  return error.code === "CANCELLED" || error instanceof ServerShuttingDownError || error instanceof ConnectionClosingError;
}
