import { MemoryIdempotencyRecords, type RecordLookup } from "@faultmaven/call-scope";

/** At most this many answers are kept; the oldest go first. */
const MAX_ENTRIES = 10_000;

/**
 * Idempotency keys for the in-memory store, with the Redis store's
 * contract: per anchor (a user, a token, all creates), a call with the same
 * key within the window gets the first call's answer (waiting for it while
 * that call is under way) without acting again, and the key with another
 * request is refused. Failures and "not found" answers (undefined) are not
 * kept, as the Redis scripts do not record error replies.
 */
export class MemoryIdempotency {
  readonly #answers: MemoryIdempotencyRecords<Promise<unknown>>;

  constructor(clock: () => number) {
    this.#answers = new MemoryIdempotencyRecords(clock, MAX_ENTRIES);
  }

  once<T>(anchor: string, act: () => Promise<T>): Promise<T> {
    let found: RecordLookup<Promise<unknown>> | undefined;
    try {
      found = this.#answers.find(anchor);
    } catch (refused) {
      return Promise.reject(refused);
    }
    if (!found) return act();
    if (found.prior !== undefined) return found.prior as Promise<T>;
    const answer = act();
    this.#answers.remember(found, answer);
    const forget = () => this.#answers.forget(found.name, answer);
    answer.then((value) => value === undefined && forget(), forget);
    return answer;
  }
}
