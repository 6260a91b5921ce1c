import { ServiceError } from "./service-error.js";

/**
 * A backing store (Redis, ChromaDB) cannot be reached right now. Safe to
 * retry after a short delay; the cause is logged, not sent.
 */
export class UnavailableError extends ServiceError {
  readonly code = "UNAVAILABLE";

  constructor(
    readonly store: string,
    options?: { cause?: unknown },
  ) {
    super(`${store} is unavailable, retry later`, "STORE_UNAVAILABLE", { store }, options);
  }
}
