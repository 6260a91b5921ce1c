import type { CounterLimits } from "./login-throttle-policy.js";

/**
 * One failed-login counter: per submitted username, per submitted e-mail
 * (normalised, whether or not such an account exists) or per source address
 * (without its port).
 */
export type AttemptCounter =
  | { readonly kind: "username"; readonly value: string }
  | { readonly kind: "email"; readonly value: string }
  | { readonly kind: "source"; readonly value: string };

/**
 * Failed-login counters, in Redis (production) or memory (development); both
 * pass one contract suite. An attempt is counted as a failure when it is
 * let through (before the password is checked), so that concurrent attempts
 * cannot all pass the threshold: a success then takes its count back.
 */
export interface LoginAttempts {
  /**
   * Lets one attempt through and counts it, unless the counter is locked.
   * Answers 0 when let through, else the ms until the lock ends (nothing
   * counted). The attempt that brings the count to `failures` locks the
   * counter for lockDelayMs(limits, failures). Atomic per counter.
   */
  reserve(counter: AttemptCounter, limits: CounterLimits): Promise<number>;
  /** Takes back one reserved attempt that did not fail; lifts the lock when the count falls below the threshold. */
  refund(counter: AttemptCounter, limits: CounterLimits): Promise<void>;
  /** Forgets the counter (a successful login of the account). */
  reset(counter: AttemptCounter): Promise<void>;
  close(): Promise<void>;
}
