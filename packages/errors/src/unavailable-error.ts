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
 *
 * With `notReplicated`, the write was applied on the Redis master but fewer
 * replicas than required confirmed it in time (reason NOT_REPLICATED,
 * REDIS_WAIT_REPLICAS): a failover now could lose it. A retry with the same
 * idempotency key answers the recorded reply (or applies the write again if
 * a failover lost it) and waits for the replicas again.
 */
export class UnavailableError extends ServiceError {
  readonly code = "UNAVAILABLE";

  constructor(
    readonly store: string,
    options?: { cause?: unknown; outcomeUnknown?: boolean; notReplicated?: boolean },
  ) {
    super(message(store, options), reason(options), { store }, options);
  }
}

function message(store: string, options: { outcomeUnknown?: boolean; notReplicated?: boolean } | undefined): string {
  if (options?.notReplicated) {
    return `${store} applied the write but its replicas did not confirm it in time: retry with the same idempotency_key`;
  }
  if (options?.outcomeUnknown) {
    return `${store} did not answer in time or failed part-way: the write's outcome is unknown, retry with the same idempotency_key`;
  }
  return `${store} is unavailable, retry later`;
}

function reason(options: { outcomeUnknown?: boolean; notReplicated?: boolean } | undefined): string {
  if (options?.notReplicated) return "NOT_REPLICATED";
  return options?.outcomeUnknown ? "OUTCOME_UNKNOWN" : "STORE_UNAVAILABLE";
}
