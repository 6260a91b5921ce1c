import { DEFAULT_LOGIN_THROTTLE_POLICY, type LoginThrottlePolicy } from "../src/domain/login-throttle-policy.js";
import { LoginThrottle } from "../src/domain/login-throttle.js";
import { MemoryLoginAttempts } from "../src/memory/memory-login-attempts.js";

/** A login throttle on fresh in-memory counters, for tests of Accounts that are not about throttling. */
export function memoryThrottle(policy: Partial<LoginThrottlePolicy> = {}): LoginThrottle {
  return new LoginThrottle(new MemoryLoginAttempts(), { ...DEFAULT_LOGIN_THROTTLE_POLICY, ...policy });
}
