import { type CallScope, callOverError, currentCallScope, hasEnded, onCallEnd } from "@faultmaven/call-scope";

/** How a MultiKeyStep re-plans when concurrent writers keep changing what its plan read. */
export interface ContentionPolicy {
  /** Plans allowed in all; past them the step answers ABORTED. */
  readonly maxPlans: number;
  /** Re-plans made at once (a single rival usually wins and leaves): backoff starts after them. */
  readonly eagerPlans: number;
  /** The first backoff's upper bound, doubled on each further stale plan. */
  readonly baseMs: number;
  /** The largest backoff's upper bound. */
  readonly capMs: number;
  /** The share of the bound to wait, in [0, 1): Math.random unless a test fixes it. */
  readonly jitter?: () => number;
}

/**
 * 100 plans, backing off from the third: 1 ms doubling up to 50 ms. On one
 * connection, writers re-planning at once all pipeline their reads and then
 * their scripts, so only one wins per round (N writers, N rounds); a random
 * pause spreads them out so most plans run alone.
 */
export const DEFAULT_CONTENTION_POLICY: ContentionPolicy = { maxPlans: 100, eagerPlans: 2, baseMs: 1, capMs: 50 };

/**
 * Waits before plan number `plan` (0-based) under `policy`: not at all for
 * the eager ones, then a "full jitter" pause (uniform in 0..bound, the bound
 * doubling). The pause ends early when the current call is over, and then
 * raises its DeadlineExceededError or CancelledError: a deadline still stops
 * re-planning.
 */
export async function backOff(policy: ContentionPolicy, plan: number): Promise<void> {
  if (plan < policy.eagerPlans) return;
  const scope = currentCallScope();
  const bound = Math.min(policy.capMs, policy.baseMs * 2 ** (plan - policy.eagerPlans));
  await pause((policy.jitter ?? Math.random)() * bound, scope);
  const over = callOverError(scope);
  if (over !== undefined) throw over;
}

/** Waits `ms`, or less when the call ends first (through onCallEnd: no AbortSignal is made for it). */
function pause(ms: number, scope: CallScope | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (scope !== undefined && hasEnded(scope)) return resolve();
    const done = () => {
      clearTimeout(timer);
      stopListening?.();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const stopListening = scope === undefined ? undefined : onCallEnd(scope, done);
  });
}
