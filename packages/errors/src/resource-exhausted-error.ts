import { ServiceError } from "./service-error.js";

/**
 * The server is at one of its limits (for example its in-flight call cap)
 * and refused the call before doing anything. Safe to retry after a short
 * delay, preferably on another replica.
 */
export class ResourceExhaustedError extends ServiceError {
  readonly code = "RESOURCE_EXHAUSTED";

  constructor(
    message: string,
    reason: string,
    readonly limit: string,
  ) {
    super(message, reason, { limit });
  }
}
