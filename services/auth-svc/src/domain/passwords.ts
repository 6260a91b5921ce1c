import argon2 from "argon2";
import { InvalidArgumentError } from "@faultmaven/errors";
import { type HashingLane, HashingSlots } from "./hashing-slots.js";

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

/** Hashing slots when none are given: as many as libuv's default thread pool, and a queue of 128 (the service takes its own from AUTH_PASSWORD_HASH_*). */
const DEFAULT_SLOTS = { concurrency: 4, queue: 128, accountQueue: 128 };

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
 * and a wrong password take about the same time. Every argon2 run takes a
 * slot of `slots` (bounded concurrency and queue, see HashingSlots).
 */
export class Passwords {
  #dummyHash: Promise<string>;

  constructor(
    readonly policy: PasswordPolicy = DEFAULT_PASSWORD_POLICY,
    readonly slots: HashingSlots = new HashingSlots(DEFAULT_SLOTS),
  ) {
    // Outside any call: the start's own hash must not wait on (or be refused by) a caller's deadline.
    this.#dummyHash = argon2.hash("dummy-password-for-timing", this.#options());
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

  /**
   * Hashes a new password (CreateUser, ChangePassword: always the account
   * lane). Raises PasswordHashingBusyError when every slot and that lane's queue are taken.
   */
  hash(password: string): Promise<string> {
    return this.slots.run("account", () => argon2.hash(password, this.#options()));
  }

  #options() {
    return { type: argon2.argon2id, memoryCost: this.policy.memoryKiB, timeCost: this.policy.iterations, parallelism: 1 } as const;
  }

  /**
   * True when the whole `password` matches `hash`. Never truncates: a
   * password longer than the policy's maxLength cannot have been set, so it
   * is refused (after the same dummy work, so length does not show in the
   * timing). With no hash, spends the same time and answers false. Raises
   * PasswordHashingBusyError when every slot and `lane`'s queue are taken.
   */
  async verify(hash: string | undefined, password: string, lane: HashingLane): Promise<boolean> {
    if (hash === undefined || passwordLength(password) > this.policy.maxLength) {
      const dummy = await this.#dummyHash;
      await this.slots.run(lane, () => argon2.verify(dummy, "dummy-password-for-timing").catch(() => false));
      return false;
    }
    return this.slots.run(lane, () => argon2.verify(hash, password).catch(() => false));
  }
}
