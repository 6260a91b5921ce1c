/**
 * When failed logins start to cost the caller time (OWASP Authentication
 * cheat sheet: throttle per account and per source, whether or not the
 * account exists). Once a counter reaches its threshold, every further
 * attempt it lets through locks it for a delay that grows with each one.
 */
export interface LoginThrottlePolicy {
  /** AUTH_LOGIN_ACCOUNT_THRESHOLD: failures per submitted username or e-mail before the delays start. */
  readonly accountThreshold: number;
  /** AUTH_LOGIN_SOURCE_THRESHOLD: failures per source address before the delays start. */
  readonly sourceThreshold: number;
  /** AUTH_LOGIN_BASE_DELAY_MS: the first delay. */
  readonly baseDelayMs: number;
  /** AUTH_LOGIN_DELAY_GROWTH: each further failure multiplies the delay by this. */
  readonly growth: number;
  /** AUTH_LOGIN_MAX_DELAY_MS: the longest delay. */
  readonly maxDelayMs: number;
  /** AUTH_LOGIN_WINDOW_MS: a counter is forgotten this long after its last counted failure (or lock end). */
  readonly windowMs: number;
}

export const DEFAULT_LOGIN_THROTTLE_POLICY: LoginThrottlePolicy = {
  accountThreshold: 10,
  sourceThreshold: 100,
  baseDelayMs: 1000,
  growth: 2,
  maxDelayMs: 15 * 60_000,
  windowMs: 15 * 60_000,
};

/** What one counter (an account's or a source's) needs to know: its threshold and the shared schedule. */
export interface CounterLimits {
  readonly threshold: number;
  readonly baseDelayMs: number;
  readonly growth: number;
  readonly maxDelayMs: number;
  readonly windowMs: number;
}

/**
 * How long a counter stays locked after the attempt that brought it to
 * `failures`: nothing below the threshold, then base, base × growth, … up to
 * the maximum. The Redis script computes the same (see login-attempt-scripts).
 */
export function lockDelayMs(limits: CounterLimits, failures: number): number {
  if (failures < limits.threshold) return 0;
  const delay = limits.baseDelayMs * limits.growth ** (failures - limits.threshold);
  return Math.min(limits.maxDelayMs, Math.round(delay));
}

/** The account counter's and the source counter's limits under `policy`. */
export function counterLimits(policy: LoginThrottlePolicy): { account: CounterLimits; source: CounterLimits } {
  const { baseDelayMs, growth, maxDelayMs, windowMs } = policy;
  return {
    account: { threshold: policy.accountThreshold, baseDelayMs, growth, maxDelayMs, windowMs },
    source: { threshold: policy.sourceThreshold, baseDelayMs, growth, maxDelayMs, windowMs },
  };
}
