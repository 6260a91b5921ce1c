import type { RedisClient } from "@faultmaven/redis";
import { authKeys } from "./keys.js";
import { HOLDS, INDEX_CAS } from "./scripts.js";

/** How long a claim made by an unfinished create or e-mail change lives before it frees itself. */
export const PENDING_TTL_MS = 60_000;
const CLAIM_ATTEMPTS = 3;

/**
 * A uniqueness index (`auth:username:{u}` or `auth:email:{e}` -> user id)
 * claimed only while absent (a compare-and-set script) instead of a multi-key transaction Redis Cluster
 * would refuse. A claim is live while the user it names exists (pending or
 * active) and has this value in `field`, or announced it as
 * `pending_<field>` (a change in progress, until `pending_<field>_until`);
 * anything else is the debris of a half-done create, change or delete, and
 * is taken over with a compare-and-set.
 */
export class UniqueIndex {
  constructor(
    private readonly client: RedisClient,
    private readonly field: "username" | "email",
  ) {}

  key(value: string): string {
    return this.field === "username" ? authKeys.username(value) : authKeys.email(value);
  }

  /** Claims `value` for `userId` with a pending TTL; false when a live user holds it. */
  async claim(value: string, userId: string): Promise<boolean> {
    const key = this.key(value);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      // Set only while absent (a script, so that a claim sent late is not made at all).
      if ((await INDEX_CAS.run(this.client, [key], ["", "set", userId, PENDING_TTL_MS])) === 1) return true;
      const holder = await this.client.get(key);
      if (holder === null) continue;
      if (holder === userId) return true;
      if (await this.holds(holder, value)) return false;
      if ((await INDEX_CAS.run(this.client, [key], [holder, "set", userId, PENDING_TTL_MS])) === 1) return true;
    }
    return false;
  }

  /** The user id the index names (the caller checks that user really has the value). */
  async holder(value: string): Promise<string | undefined> {
    return (await this.client.get(this.key(value))) ?? undefined;
  }

  /** Makes a claim permanent; false when it was lost meanwhile (the change took longer than the pending TTL). */
  async persist(value: string, userId: string): Promise<boolean> {
    return (await INDEX_CAS.run(this.client, [this.key(value)], [userId, "persist", "", 0])) === 1;
  }

  /** Drops the index if it still names `userId`. */
  async release(value: string, userId: string): Promise<void> {
    await INDEX_CAS.run(this.client, [this.key(value)], [userId, "del", "", 0]);
  }

  private async holds(userId: string, value: string): Promise<boolean> {
    return (await HOLDS.run(this.client, [authKeys.user(userId)], [this.field, value])) === 1;
  }
}
