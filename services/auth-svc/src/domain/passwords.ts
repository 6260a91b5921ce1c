import argon2 from "argon2";
import { InvalidArgumentError } from "@faultmaven/errors";

/** argon2id at OWASP's minimum (m=19 MiB, t=2, p=1) unless configured higher. */
export interface PasswordPolicy {
  readonly minLength: number;
  /** Bounds the hashing input (and the CPU a caller can make us spend). */
  readonly maxLength: number;
  readonly memoryKiB: number;
  readonly iterations: number;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minLength: 10, maxLength: 128, memoryKiB: 19456, iterations: 2 };

/**
 * Hashing and checking passwords. `verify` against an unknown user still
 * runs a full argon2 verification (of a dummy hash) so that an unknown user
 * and a wrong password take about the same time.
 */
export class Passwords {
  #dummyHash: Promise<string>;

  constructor(readonly policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY) {
    this.#dummyHash = this.hash("dummy-password-for-timing");
  }

  /** Throws INVALID_ARGUMENT naming `field` when the password breaks the policy. */
  check(field: string, password: string): string {
    const length = [...password].length;
    if (length < this.policy.minLength) {
      throw new InvalidArgumentError(field, `must be at least ${this.policy.minLength} characters`);
    }
    if (length > this.policy.maxLength) {
      throw new InvalidArgumentError(field, `must be at most ${this.policy.maxLength} characters`);
    }
    return password;
  }

  hash(password: string): Promise<string> {
    return argon2.hash(password, {
      type: argon2.argon2id,
      memoryCost: this.policy.memoryKiB,
      timeCost: this.policy.iterations,
      parallelism: 1,
    });
  }

  /** True when `password` matches `hash`; with no hash, spends the same time and answers false. */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    const bounded = password.slice(0, this.policy.maxLength * 2);
    if (hash === undefined) {
      await argon2.verify(await this.#dummyHash, bounded).catch(() => false);
      return false;
    }
    return argon2.verify(hash, bounded).catch(() => false);
  }
}
