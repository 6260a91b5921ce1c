import { createHash, randomBytes } from "node:crypto";

/**
 * API tokens: `fm1.<user_id>.<token_id>.<secret>`, the secret being 256
 * random bits (base64url). The public parts name the token's keys, so
 * ValidateToken can declare every key of its one Redis script up front;
 * only the SHA-256 of the whole token is stored, so the secret never is.
 */
export interface ParsedToken {
  readonly userId: string;
  readonly tokenId: string;
  /** SHA-256 hex of the whole token (a Redis token hash holds it as base64url, see tokenDigest). */
  readonly sha256: string;
}

/** Metadata of a live token. Times are Unix milliseconds. */
export interface TokenRecord {
  readonly tokenId: string;
  readonly userId: string;
  readonly createdAt: number;
  /** Undefined until first validated. */
  readonly lastUsed: number | undefined;
  readonly expiresAt: number;
  readonly usageCount: number;
}

/**
 * Live tokens a user may have (docs/key-schema.md, `auth:user_tokens:`): a
 * Login beyond it revokes the user's oldest tokens, so a user's token list
 * and the tokens it names stay bounded however often they log in.
 */
export const MAX_LIVE_TOKENS_PER_USER = 100;

/** What ValidateToken answers. */
export interface TokenIdentity {
  readonly userId: string;
  readonly roles: readonly string[];
  readonly tokenId: string;
  readonly expiresAt: number;
}

// The token format lives here and only here: the contract bounds a token's
// length, and everything else about its shape is this pattern's business.
const USER_ID = "usr_[A-Za-z0-9_-]{22}";
const TOKEN_ID = "tok_[A-Za-z0-9_-]{16}";
export const USER_ID_PATTERN = new RegExp(`^${USER_ID}$`);
export const TOKEN_ID_PATTERN = new RegExp(`^${TOKEN_ID}$`);
const TOKEN_PATTERN = new RegExp(`^fm1\\.(${USER_ID})\\.(${TOKEN_ID})\\.[A-Za-z0-9_-]{43}$`);

export function newUserId(): string {
  return `usr_${randomBytes(16).toString("base64url")}`;
}

/** A fresh token for a user: the plaintext (shown once) and its parsed form. */
export function mintToken(userId: string): { token: string; parsed: ParsedToken } {
  const tokenId = `tok_${randomBytes(12).toString("base64url")}`;
  const token = `fm1.${userId}.${tokenId}.${randomBytes(32).toString("base64url")}`;
  return { token, parsed: { userId, tokenId, sha256: sha256Hex(token) } };
}

/** True when `token` has the shape mintToken gives (without hashing it). */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}

/** The parts of a well-formed token, or undefined for anything else. */
export function parseToken(token: string): ParsedToken | undefined {
  const match = TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  return { userId: match[1]!, tokenId: match[2]!, sha256: sha256Hex(token) };
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
