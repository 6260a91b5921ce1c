import type { AttemptCounter, LoginAttempts } from "../domain/login-attempts.js";
import { lockDelayMs, type CounterLimits } from "../domain/login-throttle-policy.js";

interface Counter {
  failures: number;
  lockedUntil: number;
  expiresAt: number;
}

/** Counters kept at most; past it, expired ones are swept, then the oldest dropped (a development store must not grow without bound). */
export const MAX_MEMORY_COUNTERS = 100_000;

/**
 * Failed-login counters in process memory: the development fallback, same
 * contract as RedisLoginAttempts. Each method runs without an await, so
 * checking the lock and counting are atomic here too.
 */
export class MemoryLoginAttempts implements LoginAttempts {
  readonly #counters = new Map<string, Counter>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly maxCounters = MAX_MEMORY_COUNTERS,
  ) {}

  async reserve(counter: AttemptCounter, limits: CounterLimits): Promise<number> {
    const now = this.clock();
    const key = keyOf(counter);
    const current = this.#live(key, now);
    if (current && current.lockedUntil > now) return current.lockedUntil - now;
    const failures = (current?.failures ?? 0) + 1;
    const delay = lockDelayMs(limits, failures);
    const next: Counter = {
      failures,
      lockedUntil: delay > 0 ? now + delay : (current?.lockedUntil ?? 0),
      expiresAt: now + limits.windowMs + delay,
    };
    // Re-inserted, so that the map stays in order of last use.
    this.#counters.delete(key);
    this.#counters.set(key, next);
    this.#bound(now);
    return 0;
  }

  async refund(counter: AttemptCounter, limits: CounterLimits): Promise<void> {
    const key = keyOf(counter);
    const current = this.#live(key, this.clock());
    if (!current) return;
    current.failures -= 1;
    if (current.failures <= 0) this.#counters.delete(key);
    else if (current.failures < limits.threshold) current.lockedUntil = 0;
  }

  async reset(counter: AttemptCounter): Promise<void> {
    this.#counters.delete(keyOf(counter));
  }

  async close(): Promise<void> {
    this.#counters.clear();
  }

  #live(key: string, now: number): Counter | undefined {
    const counter = this.#counters.get(key);
    if (counter && counter.expiresAt <= now) {
      this.#counters.delete(key);
      return undefined;
    }
    return counter;
  }

  #bound(now: number): void {
    if (this.#counters.size <= this.maxCounters) return;
    for (const [key, counter] of this.#counters) if (counter.expiresAt <= now) this.#counters.delete(key);
    for (const key of this.#counters.keys()) {
      if (this.#counters.size <= this.maxCounters) break;
      this.#counters.delete(key);
    }
  }
}

function keyOf(counter: AttemptCounter): string {
  return `${counter.kind}:${counter.value}`;
}
