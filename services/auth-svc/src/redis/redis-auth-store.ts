import { AbortedError, UnauthenticatedError, UnavailableError } from "@faultmaven/errors";
import { callRedis, confirmReplicated, pairsToHash, type RedisClient, type RedisMode, type ReplicationWait } from "@faultmaven/redis";
import type { AuthStore, UserPage } from "../domain/auth-store.js";
import { EmailChangeInProgressError, EmailTakenError, UsernameTakenError, UserNotFoundError } from "../domain/errors.js";
import { MAX_LIVE_TOKENS_PER_USER, newUserId, type ParsedToken, type TokenIdentity, type TokenRecord } from "../domain/token.js";
import type { NewUser, PublicUser, UserChanges, UserRecord } from "../domain/user.js";
import { afterCommit } from "./after-commit.js";
import { keyed, RECORD_COUNT, recordedReply, RESERVE_USER_ID, unlessRefused } from "./idempotency-scripts.js";
import { authKeys } from "./keys.js";
import { tokenDigest } from "./token-digest.js";
import { COMMIT_TOKEN, DELETE_KEY, REVOKE_TOKEN_META } from "./revocation-scripts.js";
import {
  ACTIVATE,
  ANNOUNCE_EMAIL,
  COMMIT_EMAIL,
  CREATE_PENDING,
  DELETE_USER,
  DISCARD_PENDING,
  FINISH_EMAIL,
  ISSUE_TOKEN_META,
  LIST_REMOVE,
  LIST_USER,
  PUSH_USER_TOKEN,
  READ_USER_AT,
  SET_PASSWORD,
  UPDATE_PROFILE,
  UPDATE_USER,
  USER_TOKEN_IDS,
  USER_TOKEN_REMOVE,
} from "./scripts.js";
import { VALIDATE_TOKEN } from "./token-steps.js";
import { PENDING_TTL_MS, UniqueIndex } from "./unique-index.js";
import { passwordFields, rolesField, USER_FIELDS } from "./user-fields.js";
import { newUserFields, parsePublicUser, parseUserHash } from "./user-hash.js";

/** How often a password change revokes again when logins keep slipping in between its revoke-all and its commit. */
const PASSWORD_CHANGE_ROUNDS = 5;

/**
 * Users and tokens in Redis, under the seed's keys. No step needs a
 * multi-key transaction: uniqueness comes from claims with compensation
 * (see UniqueIndex), and a user stays invisible ("pending", with a TTL)
 * until every index is committed. ValidateToken is a MultiKeyStep: one
 * script on standalone/Sentinel, its three keys read in parallel on Cluster.
 *
 * Every write is a LuaScript (carrying its not-after bound), and each
 * mutating call has one commit script after which it has taken effect and
 * before which nothing it wrote is visible. With an idempotency key, that
 * commit records the call's reply (see LuaScript), and a retry reads the
 * record first, so it redoes no earlier step.
 *
 * The writes that must not be lost (CreateUser, ChangePassword, DeleteUser,
 * RevokeToken, RevokeUserTokens) wait, once committed or replayed, for
 * `replicationWait.replicas` replicas to confirm them (REDIS_WAIT_REPLICAS;
 * see `confirmReplicated`): fewer in time answers UNAVAILABLE NOT_REPLICATED.
 */
export class RedisAuthStore implements AuthStore {
  readonly #usernames: UniqueIndex;
  readonly #emails: UniqueIndex;

  constructor(
    private readonly client: RedisClient,
    private readonly mode: RedisMode,
    private readonly replicationWait: ReplicationWait = { replicas: 0, timeoutMs: 500 },
  ) {
    this.#usernames = new UniqueIndex(client, "username");
    this.#emails = new UniqueIndex(client, "email");
  }

  /**
   * Pending user, claims, list entry, then ACTIVATE (the commit). With a
   * key, every attempt works on the user id the first one reserved, so
   * attempts converge on one user; ACTIVATE records the public user.
   */
  createUser(user: NewUser): Promise<PublicUser> {
    return callRedis(async () => {
      const drawn = newUserId();
      const userId = keyed() ? String(await RESERVE_USER_ID.run(this.client, [authKeys.userList()], [drawn])) : drawn;
      const key = authKeys.user(userId);
      if (userId !== drawn) {
        const recorded = await recordedReply(this.client, key);
        if (recorded !== undefined) return parsePublicUser(recorded, userId);
      }
      const passwordHash = typeof user.passwordHash === "string" ? user.passwordHash : await user.passwordHash();
      const fields = newUserFields(user, passwordHash);
      // 0: already active, an attempt with the same key committed; ACTIVATE answers its record.
      if ((await CREATE_PENDING.run(this.client, [key], [PENDING_TTL_MS, ...Object.entries(fields).flat()])) === 1) {
        await this.#claimAndList(user, userId);
      }
      const reply = await unlessRefused("NOT_PENDING", () => ACTIVATE.run(this.client, [key], []));
      // The pending user expired before the commit (the create took longer than its TTL).
      if (reply === undefined) throw new UnavailableError("redis");
      return parsePublicUser(reply, userId);
    }).then(this.#replicated);
  }

  /** Claims the username and e-mail, persists them and lists the user; undoes the pending user on a taken value. */
  async #claimAndList(user: NewUser, userId: string): Promise<void> {
    const key = authKeys.user(userId);
    if (!(await this.#usernames.claim(user.username, userId))) {
      await DISCARD_PENDING.run(this.client, [key], []);
      throw new UsernameTakenError();
    }
    if (!(await this.#emails.claim(user.email, userId))) {
      await this.#usernames.release(user.username, userId);
      await DISCARD_PENDING.run(this.client, [key], []);
      throw new EmailTakenError();
    }
    // Indexes first, then the list, then (ACTIVATE) the user. A crash in
    // between leaves a pending user that expires and indexes that the next
    // claim takes over.
    const persisted = (await this.#usernames.persist(user.username, userId)) && (await this.#emails.persist(user.email, userId));
    if (!persisted) throw new UnavailableError("redis");
    await LIST_USER.run(this.client, [authKeys.userList()], [userId, keyed() ? "1" : "0"]);
  }

  getUser(userId: string): Promise<UserRecord | undefined> {
    return callRedis(async () => parseUserHash(await this.client.hgetall(authKeys.user(userId)), userId));
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
        const user = parseUserHash(hashes[i]!, id);
        if (user) users.push(user);
        else if (Object.keys(hashes[i]!).length === 0) gone.push(id);
      });
      // Entries of users deleted half-way are pruned as they are met.
      for (const id of gone) await LIST_REMOVE.run(this.client, [authKeys.userList()], [id]);
      return { users, nextOffset: ids.length > limit ? offset + limit - gone.length : undefined };
    });
  }

  updateUser(userId: string, changes: UserChanges): Promise<PublicUser> {
    return callRedis(async () => {
      const key = authKeys.user(userId);
      const recorded = await recordedReply(this.client, key);
      if (recorded !== undefined) return updateAnswer(recorded, userId);
      const current = await this.getUser(userId);
      if (!current) throw new UserNotFoundError(userId);
      const fields: Record<string, string> = {};
      if (changes.displayName !== undefined) fields[USER_FIELDS.display_name] = changes.displayName;
      if (changes.roles !== undefined) fields[USER_FIELDS.roles] = rolesField(changes.roles);
      const newEmail = changes.email !== undefined && changes.email !== current.email ? changes.email : undefined;
      if (newEmail !== undefined) return this.#changeEmail(userId, newEmail, fields);
      const reply = await unlessRefused("NO_USER", () => UPDATE_PROFILE.run(this.client, [key], Object.entries(fields).flat()));
      if (reply === undefined) throw new UserNotFoundError(userId);
      return updateAnswer(reply, userId);
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
   * claim is the one released. Before the commit nothing is visible (the
   * announcement expires, the claim is taken over); after it, the change
   * has happened and the rest is cleanup.
   */
  async #changeEmail(userId: string, email: string, fields: Record<string, string>): Promise<PublicUser> {
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
    const reply = await unlessRefused("NOT_ANNOUNCED", () =>
      COMMIT_EMAIL.run(this.client, [key], [email, ...Object.entries(fields).flat()]),
    );
    if (reply === undefined) throw await this.#abandonEmailChange(userId, email, true);
    const previous = (reply as [string, string[]])[0];
    await afterCommit(async () => {
      if (previous !== email) await this.#emails.release(previous, userId);
      await FINISH_EMAIL.run(this.client, [key], [email]);
    });
    return updateAnswer(reply, userId);
  }

  /** Undoes an e-mail change that cannot commit; the error to raise: NOT_FOUND when the user is gone. */
  async #abandonEmailChange(userId: string, email: string, claimed: boolean): Promise<Error> {
    if (claimed) await this.#emails.release(email, userId);
    await FINISH_EMAIL.run(this.client, [authKeys.user(userId)], [email]);
    return (await this.getUser(userId)) ? new EmailChangeInProgressError() : new UserNotFoundError(userId);
  }

  /**
   * Check (prepare), revoke every token, then commit the new hash with
   * SET_PASSWORD, which refuses when the user logged in since the revoke-all
   * began (that login's token may have been listed after it): then revoke
   * again. Revoking first means a failed change has not changed the
   * password; committing last with that check means no token issued under
   * the old password outlives the change.
   */
  changePassword(userId: string, prepare: (user: UserRecord) => Promise<string>): Promise<number> {
    return callRedis(async () => {
      const key = authKeys.user(userId);
      const recorded = await recordedReply(this.client, key);
      if (recorded !== undefined) return Number(recorded);
      const read = await this.#readUserAt(userId);
      const user = read.user;
      let at = read.at;
      if (!user) throw new UserNotFoundError(userId);
      let newHash: string;
      try {
        newHash = await prepare(user);
      } catch (error) {
        // A retry whose first attempt committed meanwhile: the current password is the new one now.
        const late = await recordedReply(this.client, key);
        if (late !== undefined) return Number(late);
        throw error;
      }
      const next = passwordFields(newHash);
      let revoked = 0;
      for (let round = 0; round < PASSWORD_CHANGE_ROUNDS; round++) {
        revoked += await this.#revokeAll(userId);
        try {
          return Number(await SET_PASSWORD.run(this.client, [key], [next.salt, next.hash, user.passwordHash, at, revoked]));
        } catch (error) {
          const refusal = error instanceof Error ? error.message.split(" ")[0] : "";
          if (refusal === "NO_USER") throw new UserNotFoundError(userId);
          if (refusal === "PASSWORD_CHANGED") throw new UnauthenticatedError("current password is wrong", "WRONG_PASSWORD");
          if (refusal !== "LOGIN_RACE") throw error;
        }
        at = (await this.#readUserAt(userId)).at;
      }
      throw new AbortedError("ChangePassword");
    }).then(this.#replicated);
  }

  recordLogin(userId: string): Promise<UserRecord> {
    return callRedis(async () => {
      const reply = await UPDATE_USER.run(this.client, [authKeys.user(userId)], ["login"]);
      const user = reply ? parseUserHash(pairsToHash(reply as string[]), userId) : undefined;
      if (!user) throw new UserNotFoundError(userId);
      return user;
    });
  }

  /**
   * DELETE_USER is the commit (and records the answer: how many live tokens
   * the user had, counted just before). The user's tokens stop validating
   * with it; releasing its claims, its list entry and revoking its tokens
   * are cleanup, run again by a retry.
   */
  deleteUser(userId: string): Promise<number | undefined> {
    return callRedis(async () => {
      const live = await this.#liveTokenCount(userId);
      const removed = await unlessRefused("NO_USER", () => DELETE_USER.run(this.client, [authKeys.user(userId)], [live]));
      if (removed === undefined) return undefined;
      const [username, email, pendingEmail, count] = removed as [string, string, string, number];
      await afterCommit(async () => {
        await this.#usernames.release(username, userId);
        await this.#emails.release(email, userId);
        // The claim of a change in flight (that change's own release may never run).
        if (pendingEmail) await this.#emails.release(pendingEmail, userId);
        await LIST_REMOVE.run(this.client, [authKeys.userList()], [userId]);
        await this.#revokeAll(userId);
      });
      return Number(count);
    }).then(this.#replicated);
  }

  async issueToken(token: ParsedToken, ttlMs: number, maxLive = MAX_LIVE_TOKENS_PER_USER): Promise<TokenRecord> {
    const info = await this.stageToken(token, ttlMs, maxLive);
    await this.commitToken(token, ttlMs);
    return info;
  }

  stageToken(token: ParsedToken, ttlMs: number, maxLive = MAX_LIVE_TOKENS_PER_USER): Promise<TokenRecord> {
    return callRedis(async () => {
      const metaKey = authKeys.tokenMeta(token.tokenId);
      const [createdAt, expiresAt] = (await ISSUE_TOKEN_META.run(this.client, [metaKey], [ttlMs, token.userId, tokenDigest(token)])) as [
        number,
        number,
      ];
      const listKey = authKeys.userTokens(token.userId);
      const excess = (await PUSH_USER_TOKEN.run(this.client, [listKey], [token.tokenId, ttlMs, maxLive])) as string[];
      // The oldest beyond the cap: revoked, or (already expired) just unlisted.
      await Promise.all(excess.map(async (id) => (await this.#revoke(id)) ?? (await USER_TOKEN_REMOVE.run(this.client, [listKey], [id]))));
      return { tokenId: token.tokenId, userId: token.userId, createdAt, lastUsed: undefined, expiresAt, usageCount: 0 };
    });
  }

  /** Removing `staged` goes last: the token works only from then on, and not at all if revoked meanwhile. */
  commitToken(token: ParsedToken, _ttlMs: number): Promise<boolean> {
    return callRedis(async () => (await COMMIT_TOKEN.run(this.client, [authKeys.tokenMeta(token.tokenId)], [])) === 1);
  }

  validateToken(token: ParsedToken): Promise<TokenIdentity | undefined> {
    return callRedis(() => VALIDATE_TOKEN.run(this.client, this.mode, token));
  }

  revokeToken(token: ParsedToken): Promise<{ tokenId: string; userId: string } | undefined> {
    return callRedis(() => this.#revoke(token.tokenId, token)).then(this.#replicated);
  }

  revokeTokenById(tokenId: string): Promise<{ tokenId: string; userId: string } | undefined> {
    return callRedis(() => this.#revoke(tokenId)).then(this.#replicated);
  }

  /** Revokes each listed token (each its own commit); with a key, the count is recorded on the user's token list last. */
  revokeUserTokens(userId: string): Promise<number> {
    return callRedis(async () => {
      const listKey = authKeys.userTokens(userId);
      const recorded = await recordedReply(this.client, listKey);
      if (recorded !== undefined) return Number(recorded);
      const revoked = await this.#revokeAll(userId);
      return keyed() ? Number(await RECORD_COUNT.run(this.client, [listKey], [revoked])) : revoked;
    }).then(this.#replicated);
  }

  /** Committed tokens (a staged token of a login under way is not one yet). */
  listUserTokens(userId: string): Promise<readonly TokenRecord[]> {
    return callRedis(async () => {
      const listKey = authKeys.userTokens(userId);
      const ids = await this.#userTokenIds(userId);
      const metas = await Promise.all(ids.map((id) => this.client.hgetall(authKeys.tokenMeta(id))));
      const tokens: TokenRecord[] = [];
      for (const [i, meta] of metas.entries()) {
        if (meta.user_id === userId && meta.staged === undefined) tokens.push(toTokenRecord(ids[i]!, meta));
        else if (meta.user_id !== userId) await USER_TOKEN_REMOVE.run(this.client, [listKey], [ids[i]!]);
      }
      return tokens.sort((a, b) => b.createdAt - a.createdAt);
    });
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  /** Index, then user; the user must still have the value (an index may be debris of a half-done change). */
  /** A must-not-lose write, once answered (committed or replayed): waits for the replicas REDIS_WAIT_REPLICAS asks for. */
  readonly #replicated = async <T>(answer: T): Promise<T> => {
    await confirmReplicated(this.client, this.replicationWait);
    return answer;
  };

  async #findBy(index: UniqueIndex, value: string, field: (user: UserRecord) => string): Promise<UserRecord | undefined> {
    const userId = await index.holder(value);
    const user = userId === undefined ? undefined : await this.getUser(userId);
    return user && field(user) === value ? user : undefined;
  }

  async #readUserAt(userId: string): Promise<{ at: number; user: UserRecord | undefined }> {
    const [at, pairs] = (await READ_USER_AT.run(this.client, [authKeys.user(userId)], [])) as [number, string[]];
    return { at: Number(at), user: parseUserHash(pairsToHash(pairs), userId) };
  }

  /** How many listed tokens have metadata naming the user (read only). */
  async #liveTokenCount(userId: string): Promise<number> {
    const ids = await this.#userTokenIds(userId);
    const owners = await Promise.all(ids.map((id) => this.client.hget(authKeys.tokenMeta(id), "user_id")));
    return owners.filter((owner) => owner === userId).length;
  }

  /**
   * Revokes every listed token of the user; returns how many. Each
   * revocation removes its own list entry; a token staged meanwhile stays
   * listed (and revocable) instead of vanishing with the list.
   */
  async #revokeAll(userId: string): Promise<number> {
    const listKey = authKeys.userTokens(userId);
    const ids = await this.#userTokenIds(userId);
    const revoked = await Promise.all(ids.map((id) => this.#revoke(id)));
    const stale = ids.filter((_, i) => revoked[i] === undefined);
    for (const id of stale) await USER_TOKEN_REMOVE.run(this.client, [listKey], [id]);
    return revoked.filter((r) => r?.userId === userId).length;
  }

  /** A user's token ids, oldest first. */
  async #userTokenIds(userId: string): Promise<string[]> {
    return (await USER_TOKEN_IDS.run(this.client, [authKeys.userTokens(userId)], [])) as string[];
  }

  /**
   * REVOKE_TOKEN_META is the commit (with a key, it records its reply, so a
   * retry answers the same token); then the list entry goes (and the
   * `auth:token:` key of a token from before the merged layout). With
   * `token`, only if the hash is that token's.
   */
  async #revoke(tokenId: string, token?: ParsedToken): Promise<{ tokenId: string; userId: string } | undefined> {
    const args = token ? [tokenDigest(token), token.sha256] : ["", ""];
    const reply = await unlessRefused("NO_TOKEN", () => REVOKE_TOKEN_META.run(this.client, [authKeys.tokenMeta(tokenId)], args));
    if (reply === undefined) return undefined;
    const [userId, legacySha] = reply as [string, string];
    await afterCommit(async () => {
      if (legacySha) await DELETE_KEY.run(this.client, [authKeys.token(legacySha)], []);
      await USER_TOKEN_REMOVE.run(this.client, [authKeys.userTokens(userId)], [tokenId]);
    });
    return { tokenId, userId };
  }
}

/** UpdateUser's reply, recorded or fresh: {previous e-mail, public fields}. */
function updateAnswer(reply: unknown, userId: string): PublicUser {
  return parsePublicUser((reply as [string, string[]])[1], userId);
}

function toTokenRecord(tokenId: string, meta: Record<string, string>): TokenRecord {
  return {
    tokenId,
    userId: meta.user_id!,
    createdAt: Number(meta.created_at),
    lastUsed: meta.last_used ? Number(meta.last_used) : undefined,
    expiresAt: Number(meta.expires_at),
    usageCount: Number(meta.usage_count ?? 0),
  };
}
