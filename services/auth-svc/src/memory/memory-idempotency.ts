import { currentCallScope } from "@faultmaven/call-scope";
import { InvalidArgumentError } from "@faultmaven/errors";

interface Entry {
  readonly fingerprint: string;
  readonly answer: Promise<unknown>;
  readonly expiresAt: number;
}

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
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly clock: () => number) {}

  once<T>(anchor: string, act: () => Promise<T>): Promise<T> {
    const key = currentCallScope()?.idempotency;
    if (!key) return act();
    const name = `${anchor}|${key.name}`;
    const prior = this.#entries.get(name);
    if (prior && prior.expiresAt > this.clock()) {
      if (prior.fingerprint !== key.fingerprint) {
        return Promise.reject(
          new InvalidArgumentError("idempotency_key", "was used with a different request within the idempotency window"),
        );
      }
      return prior.answer as Promise<T>;
    }
    const answer = act();
    this.#entries.delete(name);
    this.#entries.set(name, { fingerprint: key.fingerprint, answer, expiresAt: this.clock() + key.windowMs });
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
    const forget = () => {
      if (this.#entries.get(name)?.answer === answer) this.#entries.delete(name);
    };
    answer.then((value) => value === undefined && forget(), forget);
    return answer;
  }
}
