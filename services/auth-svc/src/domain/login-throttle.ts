import { outsideCallScope } from "@faultmaven/call-scope";
import { LoginThrottledError } from "./errors.js";
import type { AttemptCounter, LoginAttempts } from "./login-attempts.js";
import { counterLimits, type CounterLimits, type LoginThrottlePolicy } from "./login-throttle-policy.js";
import { sourceAddress } from "./source-address.js";

/** Who is logging in: a normalised username or e-mail. */
export type LoginName = { username: string } | { email: string };

/** A login let through: its attempt is counted as a failure until it says otherwise. */
export interface AdmittedLogin {
  /** The password was right: forgets the account's failures (by username and e-mail) and takes the source's count back. */
  succeeded(account: { username: string; email: string }): Promise<void>;
  /** The attempt ended before the password was checked (an outage, the deadline): takes both counts back. */
  abandoned(): Promise<void>;
}

/**
 * Login protection (docs/operations.md): failed attempts are counted per
 * submitted name and per source; past a threshold, attempts are refused
 * for a growing delay before any password work, the same way whether or
 * not the account exists.
 */
export class LoginThrottle {
  readonly #limits: { account: CounterLimits; source: CounterLimits };

  constructor(
    private readonly attempts: LoginAttempts,
    policy: LoginThrottlePolicy,
  ) {
    this.#limits = counterLimits(policy);
  }

  /**
   * Counts the attempt against the name's and the source's counters (in
   * parallel, one round trip), or answers the refusal when either is locked
   * (then neither keeps a count). `source` is the caller's (undefined
   * outside a call: no source counter).
   */
  async admit(name: LoginName, source: string | undefined): Promise<AdmittedLogin | LoginThrottledError> {
    const counters: [AttemptCounter, CounterLimits][] = [
      ["username" in name ? { kind: "username", value: name.username } : { kind: "email", value: name.email }, this.#limits.account],
    ];
    if (source !== undefined) counters.push([{ kind: "source", value: sourceAddress(source) }, this.#limits.source]);
    const answers = await Promise.allSettled(counters.map(([counter, limits]) => this.attempts.reserve(counter, limits)));
    const waits = answers.map((answer) => (answer.status === "fulfilled" ? answer.value : undefined));
    if (waits.some((wait) => wait !== 0)) {
      // Refused (or a counter unreachable: UNAVAILABLE, never a way around the throttle): no count stays.
      await this.#refund(counters.filter((_, i) => waits[i] === 0));
      const failed = answers.find((answer) => answer.status === "rejected");
      if (failed) throw failed.reason;
      return new LoginThrottledError(Math.max(...(waits as number[])));
    }
    const sourceCounter = counters[1];
    return {
      succeeded: async (account) => {
        await Promise.all([
          this.attempts.reset({ kind: "username", value: account.username }),
          this.attempts.reset({ kind: "email", value: account.email }),
          sourceCounter && this.attempts.refund(...sourceCounter),
        ]);
      },
      abandoned: () => this.#refund(counters),
    };
  }

  /** Best effort, outside the call (its deadline may be gone): a count left behind only brings a lock one attempt closer. */
  async #refund(counters: readonly [AttemptCounter, CounterLimits][]): Promise<void> {
    await outsideCallScope(() =>
      Promise.all(counters.map(([counter, limits]) => this.attempts.refund(counter, limits).catch(() => undefined))),
    );
  }
}
