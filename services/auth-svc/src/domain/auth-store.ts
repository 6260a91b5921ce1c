import type { ParsedToken, TokenIdentity, TokenRecord } from "./token.js";
import type { NewUser, PublicUser, UserChanges, UserRecord } from "./user.js";

/** One page of users. */
export interface UserPage {
  readonly users: readonly UserRecord[];
  readonly nextOffset: number | undefined;
}

/**
 * Users and tokens, in Redis (production) or memory (development); both pass
 * one contract suite. Inputs are validated and normalised by the caller.
 *
 * The mutating methods honour the call's idempotency key (call scope): a
 * retry with the same key answers the first call's answer without acting
 * again, concurrent attempts act once, and the key with another request for
 * the same user, token or (CreateUser) any create raises InvalidArgumentError
 * naming idempotency_key. A call that fails has no visible effect, except
 * where a method says otherwise.
 */
export interface AuthStore {
  /** Raises UsernameTakenError / EmailTakenError; safe under concurrent creates. A retry answers the same user as first answered. */
  createUser(user: NewUser): Promise<PublicUser>;
  getUser(userId: string): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  /** Users in creation order. */
  listUsers(offset: number, limit: number): Promise<UserPage>;
  /** Raises UserNotFoundError, EmailTakenError. A retry answers the user as the first call answered it. */
  updateUser(userId: string, changes: UserChanges): Promise<PublicUser>;
  /**
   * Replaces the password: `prepare` checks the current one against the user
   * it is given and returns the new hash (or throws); then every token of the
   * user is revoked and the new hash committed. Returns how many tokens were
   * revoked. Raises UserNotFoundError, or `prepare`'s error. A call that
   * fails has not changed the password but may have revoked tokens (they go
   * first, so that none outlives the change). A retry answers the first
   * count without calling `prepare`.
   */
  changePassword(userId: string, prepare: (user: UserRecord) => Promise<string>): Promise<number>;
  /** Raises UserNotFoundError. */
  recordLogin(userId: string): Promise<UserRecord>;
  /**
   * Removes the user, its indexes and list entry, then revokes its tokens
   * (they stop validating with the user). Returns how many live tokens the
   * user had; undefined when absent.
   */
  deleteUser(userId: string): Promise<number | undefined>;

  /**
   * Stores a new, working token for `ttlMs` (stageToken then commitToken); its
   * times come from the store's clock (Redis TIME in Redis).
   */
  issueToken(token: ParsedToken, ttlMs: number, maxLive?: number): Promise<TokenRecord>;
  /**
   * A login's first write: the token's metadata and list entry. The token
   * neither validates nor lists until committed. The user keeps its newest
   * `maxLive` tokens (default MAX_LIVE_TOKENS_PER_USER): older ones are revoked.
   */
  stageToken(token: ParsedToken, ttlMs: number, maxLive?: number): Promise<TokenRecord>;
  /** A login's last write: makes a staged token work. False (and nothing works) when it was revoked meanwhile. */
  commitToken(token: ParsedToken, ttlMs: number): Promise<boolean>;
  /** Counts a use; undefined for an unknown, expired or revoked token or a deleted user. */
  validateToken(token: ParsedToken): Promise<TokenIdentity | undefined>;
  /** Revokes by the token itself (its hash must match); undefined when no such token. */
  revokeToken(token: ParsedToken): Promise<{ tokenId: string; userId: string } | undefined>;
  revokeTokenById(tokenId: string): Promise<{ tokenId: string; userId: string } | undefined>;
  /** Returns how many tokens were revoked. A failed call may have revoked some; a retry answers the first count. */
  revokeUserTokens(userId: string): Promise<number>;
  /** Live tokens, newest first. */
  listUserTokens(userId: string): Promise<readonly TokenRecord[]>;
  close(): Promise<void>;
}
