import { currentCallScope } from "@faultmaven/call-scope";
import { InvalidArgumentError } from "@faultmaven/errors";

interface Recorded {
  readonly fingerprint: string;
  readonly reply: unknown;
  readonly expiresAt: number;
}

/** Replies kept at most (oldest dropped first): the in-memory store is for development, not for load. */
const MAX_RECORDS = 10_000;

/**
 * The in-memory store's idempotency records: the same contract as the Redis
 * scripts' (a retry with the call's key gets the first reply, the same key
 * with another request is refused), kept in a bounded map with expiry. A
 * memory store call's synchronous part never interleaves with another's, so
 * look-up, effect and record are one step.
 */
export class MemoryIdempotency {
  readonly #records = new Map<string, Recorded>();

  constructor(private readonly clock: () => number) {}

  /** The reply recorded for the current call's key on `anchor`, or undefined (no key, nothing recorded). */
  peek<T>(anchor: string): { reply: T } | undefined {
    const key = currentCallScope()?.idempotency;
    if (key === undefined) return undefined;
    const name = `${anchor}|${key.name}`;
    const prior = this.#records.get(name);
    if (prior === undefined || prior.expiresAt <= this.clock()) {
      this.#records.delete(name);
      return undefined;
    }
    if (prior.fingerprint !== key.fingerprint) {
      throw new InvalidArgumentError("idempotency_key", "was used with a different request within the idempotency window");
    }
    return { reply: prior.reply as T };
  }

  /** Answers a retry from its record, or runs `act` and records its reply under the call's key. */
  once<T>(anchor: string, act: () => T): T {
    const prior = this.peek<T>(anchor);
    if (prior) return prior.reply;
    const reply = act();
    const key = currentCallScope()?.idempotency;
    if (key !== undefined) {
      this.#records.set(`${anchor}|${key.name}`, { fingerprint: key.fingerprint, reply, expiresAt: this.clock() + key.windowMs });
      if (this.#records.size > MAX_RECORDS) this.#records.delete(this.#records.keys().next().value!);
    }
    return reply;
  }
}
