import type { ParsedToken, TokenIdentity, TokenRecord } from "./token.js";
import type { NewUser, UserChanges, UserRecord } from "./user.js";

/** One page of users. */
export interface UserPage {
  readonly users: readonly UserRecord[];
  readonly nextOffset: number | undefined;
}

/**
 * Users and tokens, in Redis (production) or memory (development); both pass
 * one contract suite. Inputs are validated and normalised by the caller.
 */
export interface AuthStore {
  /** Raises UsernameTakenError / EmailTakenError; safe under concurrent creates. */
  createUser(user: NewUser): Promise<UserRecord>;
  getUser(userId: string): Promise<UserRecord | undefined>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  findByEmail(email: string): Promise<UserRecord | undefined>;
  /** Users in creation order. */
  listUsers(offset: number, limit: number): Promise<UserPage>;
  /** Raises UserNotFoundError, EmailTakenError. */
  updateUser(userId: string, changes: UserChanges): Promise<UserRecord>;
  /** Raises UserNotFoundError. */
  setPasswordHash(userId: string, passwordHash: string): Promise<void>;
  /** Raises UserNotFoundError. */
  recordLogin(userId: string): Promise<UserRecord>;
  /** Removes the user, its indexes and list entry (then revoke its tokens: they stop validating at once). False when absent. */
  deleteUser(userId: string): Promise<boolean>;

  /**
   * Stores a new token for `ttlMs`; its created_at and expires_at come from
   * the store's clock (Redis TIME in Redis). The user keeps its newest
   * `maxLive` tokens (default MAX_LIVE_TOKENS_PER_USER): older ones are revoked.
   */
  issueToken(token: ParsedToken, ttlMs: number, maxLive?: number): Promise<TokenRecord>;
  /** Counts a use; undefined for an unknown, expired or revoked token or a deleted user. */
  validateToken(token: ParsedToken): Promise<TokenIdentity | undefined>;
  /** Revokes by the token itself (its hash must match); undefined when no such live token. */
  revokeToken(token: ParsedToken): Promise<{ tokenId: string; userId: string } | undefined>;
  revokeTokenById(tokenId: string): Promise<{ tokenId: string; userId: string } | undefined>;
  /** Returns how many live tokens were revoked. */
  revokeUserTokens(userId: string): Promise<number>;
  /** Live tokens, newest first. */
  listUserTokens(userId: string): Promise<readonly TokenRecord[]>;
  close(): Promise<void>;
}
