import { createHash } from "node:crypto";
import { callRedis, type RedisClient } from "@faultmaven/redis";
import type { AttemptCounter, LoginAttempts } from "../domain/login-attempts.js";
import type { CounterLimits } from "../domain/login-throttle-policy.js";
import { authKeys } from "./keys.js";
import { REFUND_ATTEMPT, RESERVE_ATTEMPT } from "./login-attempt-scripts.js";
import { DELETE_KEY } from "./revocation-scripts.js";

/** Failed-login counters in Redis: one hash per counter, each step one single-key script (see login-attempt-scripts). */
export class RedisLoginAttempts implements LoginAttempts {
  constructor(private readonly client: RedisClient) {}

  reserve(counter: AttemptCounter, limits: CounterLimits): Promise<number> {
    const args = [limits.threshold, limits.baseDelayMs, limits.growth, limits.maxDelayMs, limits.windowMs];
    return callRedis(async () => Number(await RESERVE_ATTEMPT.run(this.client, [counterKey(counter)], args)));
  }

  refund(counter: AttemptCounter, limits: CounterLimits): Promise<void> {
    return callRedis(async () => {
      await REFUND_ATTEMPT.run(this.client, [counterKey(counter)], [limits.threshold]);
    });
  }

  reset(counter: AttemptCounter): Promise<void> {
    return callRedis(async () => {
      await DELETE_KEY.run(this.client, [counterKey(counter)], []);
    });
  }

  async close(): Promise<void> {
    // The client is the auth store's, which closes it.
  }
}

/** Sources are keyed by their digest, so that any address format a gateway passes makes a valid key part. */
function counterKey(counter: AttemptCounter): string {
  if (counter.kind === "username") return authKeys.usernameLoginFailures(counter.value);
  if (counter.kind === "email") return authKeys.emailLoginFailures(counter.value);
  return authKeys.sourceLoginFailures(createHash("sha256").update(counter.value).digest("hex"));
}
