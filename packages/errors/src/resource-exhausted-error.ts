import { ServiceError } from "./service-error.js";

/**
 * The server is at one of its limits (for example its in-flight call cap)
 * and refused the call before doing anything. Safe to retry after
 * `retryAfterMs` (sent as google.rpc.RetryInfo; 1 s unless the limit knows
 * better), preferably on another replica.
 */
export class ResourceExhaustedError extends ServiceError {
  readonly code = "RESOURCE_EXHAUSTED";

  constructor(
    message: string,
    reason: string,
    readonly limit: string,
    readonly retryAfterMs = 1000,
  ) {
    super(message, reason, { limit });
  }
}
