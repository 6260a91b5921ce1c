import { InvalidArgumentError } from "@faultmaven/errors";
import { currentCallScope, type IdempotencyKey } from "./call-scope.js";

interface Recorded<R> {
  readonly fingerprint: string;
  readonly expiresAt: number;
  readonly value: R;
}

/** The current call's record on an anchor: its name, the call's key, and what an earlier call recorded there. */
export interface RecordLookup<R> {
  readonly name: string;
  readonly key: IdempotencyKey;
  readonly prior: R | undefined;
}

/**
 * Idempotency records kept in process memory, for the in-memory stores
 * (development): per anchor and `{Method}:{key}` of the current call, for
 * the key's window, the oldest dropped first beyond `limit`. Each store
 * decides what it records (a reply, a promise of one, an error) and how it
 * answers a retry; this keeps the lookup, the fingerprint check, the expiry
 * and the bound in one place.
 */
export class MemoryIdempotencyRecords<R> {
  readonly #records = new Map<string, Recorded<R>>();

  constructor(
    private readonly clock: () => number,
    private readonly limit: number,
  ) {}

  /**
   * The current call's record on `anchor`, or undefined when the call has no
   * key. Throws INVALID_ARGUMENT (idempotency_key) when the key was used with
   * another request within its window.
   */
  find(anchor: string): RecordLookup<R> | undefined {
    const key = currentCallScope()?.idempotency;
    if (key === undefined) return undefined;
    const name = `${anchor}\u0000${key.name}`;
    let prior = this.#records.get(name);
    if (prior !== undefined && prior.expiresAt <= this.clock()) {
      this.#records.delete(name);
      prior = undefined;
    }
    if (prior !== undefined && prior.fingerprint !== key.fingerprint) {
      throw new InvalidArgumentError("idempotency_key", "was used with a different request within the idempotency window");
    }
    return { name, key, prior: prior?.value };
  }

  /** Records `value` under a lookup's name for its key's window. */
  remember({ name, key }: RecordLookup<R>, value: R): void {
    this.#records.delete(name);
    this.#records.set(name, { fingerprint: key.fingerprint, expiresAt: this.clock() + key.windowMs, value });
    if (this.#records.size > this.limit) this.#records.delete(this.#records.keys().next().value!);
  }

  /** Drops the record under `name` while it still holds `value`. */
  forget(name: string, value: R): void {
    if (this.#records.get(name)?.value === value) this.#records.delete(name);
  }
}
