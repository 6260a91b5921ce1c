import { ServiceError } from "./service-error.js";

/**
 * A backing store (Redis, ChromaDB) cannot be reached right now. Safe to
 * retry after a short delay; the cause is logged, not sent.
 *
 * With `outcomeUnknown` (reason OUTCOME_UNKNOWN), the write's outcome is
 * unknown: it was sent and no answer came back in time (a write that
 * reaches the store after the service stopped waiting does nothing, so it
 * almost certainly did not happen, but it did if the store ran it in time
 * and then stalled before replying), or a write of several steps failed
 * after one of them took effect. A retry with the same idempotency key
 * settles it.
 */
export class UnavailableError extends ServiceError {
  readonly code = "UNAVAILABLE";

  constructor(
    readonly store: string,
    options?: { cause?: unknown; outcomeUnknown?: boolean },
  ) {
    super(
      options?.outcomeUnknown
        ? `${store} did not answer in time or failed part-way: the write's outcome is unknown, retry with the same idempotency_key`
        : `${store} is unavailable, retry later`,
      options?.outcomeUnknown ? "OUTCOME_UNKNOWN" : "STORE_UNAVAILABLE",
      { store },
      options,
    );
  }
}
