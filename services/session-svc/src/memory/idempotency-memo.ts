import { currentCallScope } from "@faultmaven/call-scope";
import { InvalidArgumentError } from "@faultmaven/errors";
import { LockNotHeldError, SessionLockedError, SessionNotFoundError } from "../domain/errors.js";

interface Memo {
  readonly fingerprint: string;
  readonly expiresAt: number;
  readonly outcome: { readonly value: unknown } | { readonly error: unknown };
}

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
  readonly #memos = new Map<string, Memo>();

  constructor(
    private readonly clock: () => number,
    private readonly limit = 100_000,
  ) {}

  /** Runs `work` once per anchor and idempotency key of the current call; synchronous, so atomic in Node. */
  once<T>(anchor: string, work: () => T, replay?: () => T): T {
    const key = currentCallScope()?.idempotency;
    if (!key) return work();
    const name = `${anchor}\u0000${key.name}`;
    const prior = this.#live(name);
    if (prior) {
      if (prior.fingerprint !== key.fingerprint) {
        throw new InvalidArgumentError("idempotency_key", "was used with a different request within the idempotency window");
      }
      if (replay) return replay();
      if ("error" in prior.outcome) throw prior.outcome.error;
      return prior.outcome.value as T;
    }
    const record = (outcome: Memo["outcome"]) =>
      this.#record(name, { fingerprint: key.fingerprint, expiresAt: this.clock() + key.windowMs, outcome });
    try {
      const value = work();
      record({ value });
      return value;
    } catch (error) {
      if (error instanceof SessionNotFoundError || error instanceof SessionLockedError || error instanceof LockNotHeldError)
        record({ error });
      throw error;
    }
  }

  #live(name: string): Memo | undefined {
    const memo = this.#memos.get(name);
    if (memo && memo.expiresAt <= this.clock()) {
      this.#memos.delete(name);
      return undefined;
    }
    return memo;
  }

  #record(name: string, memo: Memo): void {
    if (this.#memos.size >= this.limit) this.#memos.delete(this.#memos.keys().next().value!);
    this.#memos.set(name, memo);
  }
}
