import argon2 from "argon2";
import { InvalidArgumentError } from "@faultmaven/errors";

/** argon2id at OWASP's minimum (m=19 MiB, t=2, p=1) unless configured higher. */
export interface PasswordPolicy {
  /** In characters (Unicode code points), see passwordLength. */
  readonly minLength: number;
  /** In characters (Unicode code points); bounds the hashing input (and the CPU a caller can make us spend). */
  readonly maxLength: number;
  readonly memoryKiB: number;
  readonly iterations: number;
}

export const DEFAULT_PASSWORD_POLICY: PasswordPolicy = { minLength: 10, maxLength: 128, memoryKiB: 19456, iterations: 2 };

/**
 * A password's length in characters (Unicode code points): the unit
 * protovalidate's `string.max_len` counts in the contract, and the unit of
 * AUTH_PASSWORD_MIN_LENGTH / AUTH_PASSWORD_MAX_LENGTH. Not UTF-16 units (an
 * emoji would count twice) and not bytes (argon2 hashes the UTF-8 bytes, at
 * most 4 per character, so the byte input stays bounded by 4 x maxLength).
 */
export function passwordLength(password: string): number {
  let length = 0;
  for (const _ of password) length++;
  return length;
}

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
    const length = passwordLength(password);
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

  /**
   * True when the whole `password` matches `hash`. Never truncates: a
   * password longer than the policy's maxLength cannot have been set, so it
   * is refused (after the same dummy work, so length does not show in the
   * timing). With no hash, spends the same time and answers false.
   */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    if (hash === undefined || passwordLength(password) > this.policy.maxLength) {
      await argon2.verify(await this.#dummyHash, "dummy-password-for-timing").catch(() => false);
      return false;
    }
    return argon2.verify(hash, password).catch(() => false);
  }
}
