import { FailedPreconditionError } from "./failed-precondition-error.js";

/**
 * A write that would take a stored record past a documented limit (entries,
 * bytes, versions). FAILED_PRECONDITION: the request is valid on its own, the
 * record has no room for it. `limit` names the limit (e.g.
 * "session.context_entries"); the gRPC kit sends it as the subject of a
 * google.rpc.PreconditionFailure violation of type LIMIT_EXCEEDED.
 */
export class LimitExceededError extends FailedPreconditionError {
  constructor(
    readonly limit: string,
    readonly max: number,
    message: string,
  ) {
    super(message, "LIMIT_EXCEEDED", { limit, max: String(max) });
  }
}
