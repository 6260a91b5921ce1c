import { pairsToHash } from "@faultmaven/redis";
import { publicUser, type PublicUser, type UserRecord } from "../domain/user.js";

/**
 * `auth:user:{id}` fields: username, email (both normalised), display_name
 * (absent when empty), roles (JSON array), the password as password_salt
 * (the argon2id PHC string's parameters and salt, without the constant
 * `$argon2id$v=19$`) and password_hash (the hash alone), created_at,
 * updated_at (absent until the first change), last_login (Unix ms) and state ("pending"
 * during a create, then "active"; pending users are invisible), and
 * pending_email / pending_email_until while an e-mail change is in
 * progress. Every value stays within 64 bytes, so the hash stays a small
 * listpack. The user id is the key's; a user written before this layout
 * also holds it as user_id, and its whole PHC string in password_hash.
 */
export function parseUserHash(hash: Record<string, string>, userId: string): UserRecord | undefined {
  if (hash.state !== "active") return undefined;
  return {
    userId,
    username: hash.username ?? "",
    email: hash.email ?? "",
    displayName: hash.display_name ?? "",
    roles: JSON.parse(hash.roles ?? "[]") as string[],
    passwordHash:
      hash.password_salt === undefined ? (hash.password_hash ?? "") : joinPassword(hash.password_salt, hash.password_hash ?? ""),
    createdAt: Number(hash.created_at),
    updatedAt: Number(hash.updated_at ?? hash.created_at),
    lastLogin: hash.last_login ? Number(hash.last_login) : undefined,
  };
}

/** What every PHC string Passwords makes starts with; the user hash leaves it out (SET_PASSWORD puts it back the same way). */
export const PHC_PREFIX = "$argon2id$v=19$";

/** A PHC string as the user hash keeps it: {password_salt, password_hash}, split at its last `$`, PHC_PREFIX left out. */
export function passwordFields(phc: string): { password_salt: string; password_hash: string } {
  const cut = phc.lastIndexOf("$");
  const head = phc.slice(0, cut);
  return { password_salt: head.startsWith(PHC_PREFIX) ? head.slice(PHC_PREFIX.length) : head, password_hash: phc.slice(cut + 1) };
}

function joinPassword(salt: string, hash: string): string {
  return `${salt.startsWith("$") ? "" : PHC_PREFIX}${salt}$${hash}`;
}

/** A user from a script's public field/value pairs (a commit's reply, fresh or recorded). */
export function parsePublicUser(pairs: unknown, userId: string): PublicUser {
  const user = parseUserHash(pairsToHash(pairs as string[]), userId);
  if (!user) throw new Error("a user script answered without an active user");
  return publicUser(user);
}
