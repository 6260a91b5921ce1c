import { UnavailableError } from "@faultmaven/errors";
import { callRedis, pairsToHash, type RedisClient, type RedisMode } from "@faultmaven/redis";
import type { AuthStore, UserPage } from "../domain/auth-store.js";
import { EmailChangeInProgressError, EmailTakenError, UsernameTakenError, UserNotFoundError } from "../domain/errors.js";
import { MAX_LIVE_TOKENS_PER_USER, newUserId, type ParsedToken, type TokenIdentity, type TokenRecord } from "../domain/token.js";
import type { NewUser, UserChanges, UserRecord } from "../domain/user.js";
import { authKeys } from "./keys.js";
import {
  ACTIVATE,
  ANNOUNCE_EMAIL,
  COMMIT_EMAIL,
  CREATE_PENDING,
  DELETE_USER,
  PUSH_USER_TOKEN,
  ISSUE_TOKEN_META,
  UPDATE_USER,
  FINISH_EMAIL,
} from "./scripts.js";
import { VALIDATE_TOKEN } from "./token-steps.js";
import { PENDING_TTL_MS, UniqueIndex } from "./unique-index.js";
import { parseUserHash } from "./user-hash.js";

/**
 * Users and tokens in Redis, under the seed's keys. No step needs a
 * multi-key transaction: uniqueness comes from SET NX claims with
 * compensation (see UniqueIndex), and a user stays invisible ("pending",
 * with a TTL) until every index is committed. ValidateToken is a
 * MultiKeyStep: one script on standalone/Sentinel, its three keys read in
 * parallel on Cluster.
 */
export class RedisAuthStore implements AuthStore {
  readonly #usernames: UniqueIndex;
  readonly #emails: UniqueIndex;

  constructor(
    private readonly client: RedisClient,
    private readonly mode: RedisMode,
  ) {
    this.#usernames = new UniqueIndex(client, "username");
    this.#emails = new UniqueIndex(client, "email");
  }

  createUser(user: NewUser): Promise<UserRecord> {
    return callRedis(async () => {
      const userId = newUserId();
      const key = authKeys.user(userId);
      const fields = {
        user_id: userId,
        username: user.username,
        email: user.email,
        display_name: user.displayName,
        roles: JSON.stringify(user.roles),
        password_hash: user.passwordHash,
      };
      await CREATE_PENDING.run(this.client, [key], [PENDING_TTL_MS, ...Object.entries(fields).flat()]);
      if (!(await this.#usernames.claim(user.username, userId))) {
        await this.client.del(key);
        throw new UsernameTakenError();
      }
      if (!(await this.#emails.claim(user.email, userId))) {
        await this.#usernames.release(user.username, userId);
        await this.client.del(key);
        throw new EmailTakenError();
      }
      // Commit: indexes first, then the list, then make the user visible. A
      // crash in between leaves a pending user that expires and indexes that
      // the next claim takes over.
      const persisted = (await this.#usernames.persist(user.username, userId)) && (await this.#emails.persist(user.email, userId));
      if (!persisted) throw new UnavailableError("redis");
      await this.client.rpush(authKeys.userList(), userId);
      if ((await ACTIVATE.run(this.client, [key], [])) !== 1) throw new UnavailableError("redis");
      return (await this.getUser(userId))!;
    });
  }

  getUser(userId: string): Promise<UserRecord | undefined> {
    return callRedis(async () => parseUserHash(await this.client.hgetall(authKeys.user(userId))));
  }

  findByUsername(username: string): Promise<UserRecord | undefined> {
    return callRedis(() => this.#findBy(this.#usernames, username, (user) => user.username));
  }

  findByEmail(email: string): Promise<UserRecord | undefined> {
    return callRedis(() => this.#findBy(this.#emails, email, (user) => user.email));
  }

  listUsers(offset: number, limit: number): Promise<UserPage> {
    return callRedis(async () => {
      const ids = await this.client.lrange(authKeys.userList(), offset, offset + limit);
      const page = ids.slice(0, limit);
      const hashes = await Promise.all(page.map((id) => this.client.hgetall(authKeys.user(id))));
      const users: UserRecord[] = [];
      const gone: string[] = [];
      page.forEach((id, i) => {
        const user = parseUserHash(hashes[i]!);
        if (user) users.push(user);
        else if (!hashes[i]!.state) gone.push(id);
      });
      // Entries of users deleted half-way are pruned as they are met.
      for (const id of gone) await this.client.lrem(authKeys.userList(), 0, id);
      return { users, nextOffset: ids.length > limit ? offset + limit - gone.length : undefined };
    });
  }

  updateUser(userId: string, changes: UserChanges): Promise<UserRecord> {
    return callRedis(async () => {
      const current = await this.getUser(userId);
      if (!current) throw new UserNotFoundError(userId);
      const fields: Record<string, string> = {};
      if (changes.displayName !== undefined) fields.display_name = changes.displayName;
      if (changes.roles !== undefined) fields.roles = JSON.stringify(changes.roles);
      const newEmail = changes.email !== undefined && changes.email !== current.email ? changes.email : undefined;
      if (newEmail === undefined) return this.#update(userId, "profile", fields);
      return this.#changeEmail(userId, newEmail, fields);
    });
  }

  /**
   * Announce, claim, commit, release the old address, finish. While
   * announced, a concurrent claimer sees this user's claim as live and
   * another change of this user to another address waits (-1), so changes
   * of one user run one at a time. The commit succeeds only if the
   * announcement is still ours and unexpired (Redis clock), so the hash
   * never takes an e-mail whose claim it may have lost; it reports the
   * address it replaced (read atomically, not the one read before), whose
   * claim is the one released.
   */
  async #changeEmail(userId: string, email: string, fields: Record<string, string>): Promise<UserRecord> {
    const key = authKeys.user(userId);
    const announced = await ANNOUNCE_EMAIL.run(this.client, [key], [email, PENDING_TTL_MS]);
    if (announced === 0) throw new UserNotFoundError(userId);
    if (announced === -1) throw new EmailChangeInProgressError();
    if (!(await this.#emails.claim(email, userId))) {
      await FINISH_EMAIL.run(this.client, [key], [email]);
      throw new EmailTakenError();
    }
    // The claim is lost only to a DeleteUser (which released it) or after the announcement expired.
    if (!(await this.#emails.persist(email, userId))) throw await this.#abandonEmailChange(userId, email, false);
    const reply = (await COMMIT_EMAIL.run(this.client, [key], [email, ...Object.entries(fields).flat()])) as [string, string[]] | null;
    const user = reply ? parseUserHash(pairsToHash(reply[1])) : undefined;
    if (!reply || !user) throw await this.#abandonEmailChange(userId, email, true);
    if (reply[0] !== email) await this.#emails.release(reply[0], userId);
    await FINISH_EMAIL.run(this.client, [key], [email]);
    return user;
  }

  /** Undoes an e-mail change that cannot commit; the error to raise: NOT_FOUND when the user is gone. */
  async #abandonEmailChange(userId: string, email: string, claimed: boolean): Promise<Error> {
    if (claimed) await this.#emails.release(email, userId);
    await FINISH_EMAIL.run(this.client, [authKeys.user(userId)], [email]);
    return (await this.getUser(userId)) ? new EmailChangeInProgressError() : new UserNotFoundError(userId);
  }

  setPasswordHash(userId: string, passwordHash: string): Promise<void> {
    return callRedis(async () => {
      await this.#update(userId, "profile", { password_hash: passwordHash });
    });
  }

  recordLogin(userId: string): Promise<UserRecord> {
    return callRedis(() => this.#update(userId, "login", {}));
  }

  deleteUser(userId: string): Promise<boolean> {
    return callRedis(async () => {
      const removed = (await DELETE_USER.run(this.client, [authKeys.user(userId)], [])) as [string, string, string] | null;
      if (!removed) return false;
      const [username, email, pendingEmail] = removed;
      await this.#usernames.release(username, userId);
      await this.#emails.release(email, userId);
      // The claim of a change in flight (that change's own release may never run).
      if (pendingEmail) await this.#emails.release(pendingEmail, userId);
      await this.client.lrem(authKeys.userList(), 0, userId);
      return true;
    });
  }

  issueToken(token: ParsedToken, ttlMs: number, maxLive = MAX_LIVE_TOKENS_PER_USER): Promise<TokenRecord> {
    return callRedis(async () => {
      const fields = { token_id: token.tokenId, user_id: token.userId, token_sha256: token.sha256 };
      const metaKey = authKeys.tokenMeta(token.tokenId);
      const [createdAt, expiresAt] = (await ISSUE_TOKEN_META.run(this.client, [metaKey], [ttlMs, ...Object.entries(fields).flat()])) as [
        number,
        number,
      ];
      const listKey = authKeys.userTokens(token.userId);
      const excess = (await PUSH_USER_TOKEN.run(this.client, [listKey], [token.tokenId, ttlMs, maxLive])) as string[];
      // The oldest beyond the cap: revoked, or (already expired) just unlisted.
      await Promise.all(excess.map(async (id) => (await this.#revoke(id)) ?? (await this.client.lrem(listKey, 0, id))));
      // The token key goes last: the token works only once its metadata exists.
      await this.client.set(authKeys.token(token.sha256), token.userId, "PX", ttlMs);
      return { tokenId: token.tokenId, userId: token.userId, createdAt, lastUsed: undefined, expiresAt, usageCount: 0 };
    });
  }

  validateToken(token: ParsedToken): Promise<TokenIdentity | undefined> {
    return callRedis(() => VALIDATE_TOKEN.run(this.client, this.mode, token));
  }

  revokeToken(token: ParsedToken): Promise<{ tokenId: string; userId: string } | undefined> {
    return callRedis(async () => {
      const sha = await this.client.hget(authKeys.tokenMeta(token.tokenId), "token_sha256");
      return sha === token.sha256 ? this.#revoke(token.tokenId) : undefined;
    });
  }

  revokeTokenById(tokenId: string): Promise<{ tokenId: string; userId: string } | undefined> {
    return callRedis(() => this.#revoke(tokenId));
  }

  revokeUserTokens(userId: string): Promise<number> {
    return callRedis(async () => {
      const listKey = authKeys.userTokens(userId);
      const ids = await this.client.lrange(listKey, 0, -1);
      // Each revocation removes its own list entry; a token issued meanwhile
      // stays listed (and revocable) instead of vanishing with the list.
      const revoked = await Promise.all(ids.map((id) => this.#revoke(id)));
      const stale = ids.filter((_, i) => revoked[i] === undefined);
      for (const id of stale) await this.client.lrem(listKey, 0, id);
      return revoked.filter((r) => r?.userId === userId).length;
    });
  }

  listUserTokens(userId: string): Promise<readonly TokenRecord[]> {
    return callRedis(async () => {
      const listKey = authKeys.userTokens(userId);
      const ids = await this.client.lrange(listKey, 0, -1);
      const metas = await Promise.all(ids.map((id) => this.client.hgetall(authKeys.tokenMeta(id))));
      const tokens: TokenRecord[] = [];
      for (const [i, meta] of metas.entries()) {
        if (meta.user_id === userId) tokens.push(toTokenRecord(meta));
        else await this.client.lrem(listKey, 0, ids[i]!);
      }
      return tokens.sort((a, b) => b.createdAt - a.createdAt);
    });
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  /** Index, then user; the user must still have the value (an index may be debris of a half-done change). */
  async #findBy(index: UniqueIndex, value: string, field: (user: UserRecord) => string): Promise<UserRecord | undefined> {
    const userId = await index.holder(value);
    const user = userId === undefined ? undefined : await this.getUser(userId);
    return user && field(user) === value ? user : undefined;
  }

  /** Token key first (that is what validation checks), then metadata and list entry. */
  async #revoke(tokenId: string): Promise<{ tokenId: string; userId: string } | undefined> {
    const metaKey = authKeys.tokenMeta(tokenId);
    const [userId, sha] = await this.client.hmget(metaKey, "user_id", "token_sha256");
    if (!userId || !sha) return undefined;
    await this.client.del(authKeys.token(sha));
    await this.client.del(metaKey);
    await this.client.lrem(authKeys.userTokens(userId), 0, tokenId);
    return { tokenId, userId };
  }

  async #update(userId: string, kind: "profile" | "login", fields: Record<string, string>): Promise<UserRecord> {
    const reply = await UPDATE_USER.run(this.client, [authKeys.user(userId)], [kind, ...Object.entries(fields).flat()]);
    const user = reply ? parseUserHash(pairsToHash(reply)) : undefined;
    if (!user) throw new UserNotFoundError(userId);
    return user;
  }
}

function toTokenRecord(meta: Record<string, string>): TokenRecord {
  return {
    tokenId: meta.token_id!,
    userId: meta.user_id!,
    createdAt: Number(meta.created_at),
    lastUsed: meta.last_used ? Number(meta.last_used) : undefined,
    expiresAt: Number(meta.expires_at),
    usageCount: Number(meta.usage_count ?? 0),
  };
}
