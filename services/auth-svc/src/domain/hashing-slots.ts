import { callOverError, currentCallScope } from "@faultmaven/call-scope";
import { PasswordHashingBusyError } from "./errors.js";

/** AUTH_PASSWORD_HASH_CONCURRENCY and AUTH_PASSWORD_HASH_QUEUE. */
export interface HashingLimits {
  /** argon2 runs at once (each takes one libuv thread and one core for ~20 ms). */
  readonly concurrency: number;
  /** Runs waiting for a slot; one more is refused PASSWORD_HASHING_BUSY. */
  readonly queue: number;
}

interface Waiter {
  readonly start: () => void;
}

/**
 * Bounded concurrency for argon2: at most `concurrency` runs at once and
 * `queue` waiting (first come, first served); beyond that a run is refused
 * at once (RESOURCE_EXHAUSTED PASSWORD_HASHING_BUSY), so a login flood
 * leaves CPU for every other call. A waiting run whose call ends (deadline,
 * cancellation) leaves the queue without running.
 */
export class HashingSlots {
  #running = 0;
  readonly #waiting = new Set<Waiter>();

  constructor(
    readonly limits: HashingLimits,
    /** Told of each run as it starts (the password_hash_runs_total metric). */
    private readonly onRun: () => void = () => {},
  ) {}

  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#waiting.size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.limits.concurrency) await this.#slot();
    else this.#running++;
    try {
      this.onRun();
      return await work();
    } finally {
      this.#release();
    }
  }

  /** Waits for a slot handed over by a finishing run (which keeps #running as it is for us). */
  #slot(): Promise<void> {
    if (this.#waiting.size >= this.limits.queue) return Promise.reject(new PasswordHashingBusyError());
    const scope = currentCallScope();
    const over = callOverError(scope);
    if (over) return Promise.reject(over);
    return new Promise<void>((resolve, reject) => {
      const leave = () => {
        this.#waiting.delete(waiter);
        reject(callOverError(scope) ?? scope!.signal.reason);
      };
      const waiter: Waiter = {
        start: () => {
          scope?.signal.removeEventListener("abort", leave);
          resolve();
        },
      };
      scope?.signal.addEventListener("abort", leave, { once: true });
      this.#waiting.add(waiter);
    });
  }

  #release(): void {
    const next = this.#waiting.values().next();
    if (next.done) {
      this.#running--;
      return;
    }
    this.#waiting.delete(next.value);
    next.value.start();
  }
}
