import { MemoryIdempotencyRecords } from "@faultmaven/call-scope";

/** Replies kept at most (oldest dropped first): the in-memory store is for development, not for load. */
const MAX_RECORDS = 10_000;

/**
 * The in-memory store's idempotency records: the same contract as the Redis
 * scripts' (a retry with the call's key gets the first reply, the same key
 * with another request is refused). A memory store call's synchronous part
 * never interleaves with another's, so look-up, effect and record are one
 * step.
 */
export class MemoryIdempotency {
  /** Boxed, so that an undefined reply is recorded too. */
  readonly #records: MemoryIdempotencyRecords<{ reply: unknown }>;

  constructor(clock: () => number) {
    this.#records = new MemoryIdempotencyRecords(clock, MAX_RECORDS);
  }

  /** The reply recorded for the current call's key on `anchor`, or undefined (no key, nothing recorded). */
  peek<T>(anchor: string): { reply: T } | undefined {
    return this.#records.find(anchor)?.prior as { reply: T } | undefined;
  }

  /** Answers a retry from its record, or runs `act` and records its reply under the call's key. */
  once<T>(anchor: string, act: () => T): T {
    const found = this.#records.find(anchor);
    if (found?.prior) return found.prior.reply as T;
    const reply = act();
    if (found) this.#records.remember(found, { reply });
    return reply;
  }
}
