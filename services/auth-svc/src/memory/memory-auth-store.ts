import { UnauthenticatedError } from "@faultmaven/errors";
import type { AuthStore, UserPage } from "../domain/auth-store.js";
import { EmailTakenError, UsernameTakenError, UserNotFoundError } from "../domain/errors.js";
import { MAX_LIVE_TOKENS_PER_USER, newUserId, type ParsedToken, type TokenIdentity, type TokenRecord } from "../domain/token.js";
import { publicUser, type NewUser, type PublicUser, type UserChanges, type UserRecord } from "../domain/user.js";
import { MemoryIdempotency } from "./memory-idempotency.js";

interface StoredToken extends TokenRecord {
  readonly sha256: string;
  /** False while a login has staged it: it neither validates nor lists. */
  readonly committed: boolean;
}

/**
 * Users and tokens in process memory: the development fallback (lost on
 * restart). Same contract as the Redis store; each call's synchronous part
 * runs without interleaving, which is what makes the uniqueness checks safe
 * (they are made again after each await). Idempotency keys: see
 * MemoryIdempotency.
 */
export class MemoryAuthStore implements AuthStore {
  readonly #users = new Map<string, UserRecord>();
  readonly #byUsername = new Map<string, string>();
  readonly #byEmail = new Map<string, string>();
  readonly #order: string[] = [];
  readonly #tokens = new Map<string, StoredToken>();

  readonly #idempotency: MemoryIdempotency;

  constructor(private readonly clock: () => number = Date.now) {
    this.#idempotency = new MemoryIdempotency(clock);
  }

  createUser(user: NewUser): Promise<PublicUser> {
    return this.#idempotency.once("users", async () => {
      this.#checkFree(user);
      const passwordHash = typeof user.passwordHash === "string" ? user.passwordHash : await user.passwordHash();
      this.#checkFree(user);
      return publicUser(this.#insert({ ...user, passwordHash }));
    });
  }

  #checkFree(user: NewUser): void {
    if (this.#byUsername.has(user.username)) throw new UsernameTakenError();
    if (this.#byEmail.has(user.email)) throw new EmailTakenError();
  }

  #insert(user: NewUser & { passwordHash: string }): UserRecord {
    const now = this.clock();
    const record: UserRecord = {
      ...user,
      roles: [...user.roles],
      userId: newUserId(),
      createdAt: now,
      updatedAt: now,
      lastLogin: undefined,
    };
    this.#users.set(record.userId, record);
    this.#byUsername.set(record.username, record.userId);
    this.#byEmail.set(record.email, record.userId);
    this.#order.push(record.userId);
    return record;
  }

  async getUser(userId: string): Promise<UserRecord | undefined> {
    return this.#users.get(userId);
  }

  async findByUsername(username: string): Promise<UserRecord | undefined> {
    const userId = this.#byUsername.get(username);
    return userId === undefined ? undefined : this.#users.get(userId);
  }

  async findByEmail(email: string): Promise<UserRecord | undefined> {
    const userId = this.#byEmail.get(email);
    return userId === undefined ? undefined : this.#users.get(userId);
  }

  async listUsers(offset: number, limit: number): Promise<UserPage> {
    const users = this.#order.slice(offset, offset + limit).map((id) => this.#users.get(id)!);
    return { users, nextOffset: this.#order.length > offset + limit ? offset + limit : undefined };
  }

  updateUser(userId: string, changes: UserChanges): Promise<PublicUser> {
    return this.#idempotency.once(`user:${userId}`, async () => publicUser(this.#update(userId, changes)));
  }

  #update(userId: string, changes: UserChanges): UserRecord {
    const current = this.#require(userId);
    if (changes.email !== undefined && changes.email !== current.email) {
      if (this.#byEmail.has(changes.email)) throw new EmailTakenError();
      this.#byEmail.delete(current.email);
      this.#byEmail.set(changes.email, userId);
    }
    return this.#save({
      ...current,
      displayName: changes.displayName ?? current.displayName,
      email: changes.email ?? current.email,
      roles: changes.roles ? [...changes.roles] : current.roles,
      updatedAt: this.clock(),
    });
  }

  changePassword(userId: string, prepare: (user: UserRecord) => Promise<string>): Promise<number> {
    return this.#idempotency.once(`user:${userId}`, async () => {
      const checked = this.#require(userId);
      const passwordHash = await prepare(checked);
      const current = this.#require(userId);
      // Changed by another call while we hashed: the checked password is no longer the current one.
      if (current.passwordHash !== checked.passwordHash) throw new UnauthenticatedError("current password is wrong", "WRONG_PASSWORD");
      this.#save({ ...current, passwordHash, updatedAt: this.clock() });
      return this.#revokeAll(userId);
    });
  }

  async recordLogin(userId: string): Promise<UserRecord> {
    return this.#save({ ...this.#require(userId), lastLogin: this.clock() });
  }

  deleteUser(userId: string): Promise<number | undefined> {
    return this.#idempotency.once(`user:${userId}`, async () => {
      const user = this.#users.get(userId);
      if (!user) return undefined;
      this.#users.delete(userId);
      this.#byUsername.delete(user.username);
      this.#byEmail.delete(user.email);
      this.#order.splice(this.#order.indexOf(userId), 1);
      return this.#revokeAll(userId);
    });
  }

  async issueToken(token: ParsedToken, ttlMs: number, maxLive = MAX_LIVE_TOKENS_PER_USER): Promise<TokenRecord> {
    const info = await this.stageToken(token, ttlMs, maxLive);
    await this.commitToken(token, ttlMs);
    return info;
  }

  async commitToken(token: ParsedToken, _ttlMs?: number): Promise<boolean> {
    const stored = this.#live(token.tokenId);
    if (!stored) return false;
    this.#tokens.set(token.tokenId, { ...stored, committed: true });
    return true;
  }

  async stageToken(token: ParsedToken, ttlMs: number, maxLive = MAX_LIVE_TOKENS_PER_USER): Promise<TokenRecord> {
    const createdAt = this.clock();
    const record: StoredToken = {
      tokenId: token.tokenId,
      userId: token.userId,
      sha256: token.sha256,
      createdAt,
      lastUsed: undefined,
      expiresAt: createdAt + ttlMs,
      usageCount: 0,
      committed: false,
    };
    this.#tokens.set(token.tokenId, record);
    // Issue order is the map's order: the user's oldest come first.
    const mine = [...this.#tokens.keys()].filter((id) => this.#live(id)?.userId === token.userId);
    for (const id of mine.slice(0, Math.max(0, mine.length - maxLive))) this.#tokens.delete(id);
    return toInfo(record);
  }

  async validateToken(token: ParsedToken): Promise<TokenIdentity | undefined> {
    const stored = this.#live(token.tokenId);
    const user = this.#users.get(token.userId);
    if (!stored?.committed || stored.sha256 !== token.sha256 || stored.userId !== token.userId || !user) return undefined;
    this.#tokens.set(stored.tokenId, { ...stored, lastUsed: this.clock(), usageCount: stored.usageCount + 1 });
    return { userId: user.userId, roles: user.roles, tokenId: stored.tokenId, expiresAt: stored.expiresAt };
  }

  revokeToken(token: ParsedToken): Promise<{ tokenId: string; userId: string } | undefined> {
    return this.#idempotency.once(`token:${token.tokenId}`, async () => {
      const stored = this.#live(token.tokenId);
      if (stored?.sha256 !== token.sha256) return undefined;
      this.#tokens.delete(token.tokenId);
      return { tokenId: token.tokenId, userId: stored.userId };
    });
  }

  revokeTokenById(tokenId: string): Promise<{ tokenId: string; userId: string } | undefined> {
    return this.#idempotency.once(`token:${tokenId}`, async () => {
      const stored = this.#live(tokenId);
      if (!stored) return undefined;
      this.#tokens.delete(tokenId);
      return { tokenId, userId: stored.userId };
    });
  }

  revokeUserTokens(userId: string): Promise<number> {
    return this.#idempotency.once(`tokens:${userId}`, async () => this.#revokeAll(userId));
  }

  #revokeAll(userId: string): number {
    let revoked = 0;
    for (const id of [...this.#tokens.keys()]) {
      if (this.#live(id)?.userId === userId) {
        this.#tokens.delete(id);
        revoked++;
      }
    }
    return revoked;
  }

  async listUserTokens(userId: string): Promise<readonly TokenRecord[]> {
    return [...this.#tokens.keys()]
      .map((id) => this.#live(id))
      .filter((t): t is StoredToken => t?.userId === userId && t.committed)
      .map(toInfo)
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  async close(): Promise<void> {}

  #live(tokenId: string): StoredToken | undefined {
    const stored = this.#tokens.get(tokenId);
    if (stored && stored.expiresAt <= this.clock()) {
      this.#tokens.delete(tokenId);
      return undefined;
    }
    return stored;
  }

  #require(userId: string): UserRecord {
    const user = this.#users.get(userId);
    if (!user) throw new UserNotFoundError(userId);
    return user;
  }

  #save(user: UserRecord): UserRecord {
    this.#users.set(user.userId, user);
    return user;
  }
}

function toInfo(token: StoredToken): TokenRecord {
  const { sha256: _, committed: __, ...info } = token;
  return info;
}
