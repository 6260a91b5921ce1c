import { ServiceError } from "./service-error.js";

/**
 * A backing store (Redis, ChromaDB) cannot be reached right now. Safe to
 * retry after a short delay; the cause is logged, not sent.
 *
 * With `outcomeUnknown`, a write was sent and no answer came back in time
 * (reason OUTCOME_UNKNOWN): a write that reaches the store after the service
 * stopped waiting does nothing (its not-after bound), so it almost
 * certainly did not happen, but it did if the store ran it in time and then
 * stalled before replying. A retry with the same idempotency key settles it.
 */
export class UnavailableError extends ServiceError {
  readonly code = "UNAVAILABLE";

  constructor(
    readonly store: string,
    options?: { cause?: unknown; outcomeUnknown?: boolean },
  ) {
    super(
      options?.outcomeUnknown
        ? `${store} did not answer in time: the write almost certainly did not happen, retry with the same idempotency_key to be sure`
        : `${store} is unavailable, retry later`,
      options?.outcomeUnknown ? "OUTCOME_UNKNOWN" : "STORE_UNAVAILABLE",
      { store },
      options,
    );
  }
}
