import { MemoryIdempotencyRecords } from "@faultmaven/call-scope";
import { LockNotHeldError, SessionLockedError, SessionNotFoundError } from "../domain/errors.js";

type Outcome = { readonly value: unknown } | { readonly error: unknown };

/**
 * The in-memory store's idempotency records, kept as the Redis scripts keep
 * theirs: per anchor (the session, or the client of a CreateSession) and
 * `{Method}:{key}`, for the key's window; a retry gets the first answer, or
 * `replay`'s, without acting again; the same key with another request is
 * refused. Answers the Redis store gives as script replies are recorded
 * too, which here are errors (not found, locked, not held); other errors
 * are not. Bounded: the oldest records go first.
 */
export class IdempotencyMemo {
  readonly #records: MemoryIdempotencyRecords<Outcome>;

  constructor(clock: () => number, limit = 100_000) {
    this.#records = new MemoryIdempotencyRecords(clock, limit);
  }

  /** Runs `work` once per anchor and idempotency key of the current call; synchronous, so atomic in Node. */
  once<T>(anchor: string, work: () => T, replay?: () => T): T {
    const found = this.#records.find(anchor);
    if (!found) return work();
    if (found.prior) {
      if (replay) return replay();
      if ("error" in found.prior) throw found.prior.error;
      return found.prior.value as T;
    }
    try {
      const value = work();
      this.#records.remember(found, { value });
      return value;
    } catch (error) {
      if (error instanceof SessionNotFoundError || error instanceof SessionLockedError || error instanceof LockNotHeldError) {
        this.#records.remember(found, { error });
      }
      throw error;
    }
  }
}
