import { pairsToHash } from "@faultmaven/redis";
import { publicUser, type PublicUser, type UserRecord } from "../domain/user.js";

/**
 * `auth:user:{id}` fields: user_id, username, email (both normalised),
 * display_name, roles (JSON array), password_hash (argon2id), created_at,
 * updated_at, last_login (Unix ms) and state ("pending" during a create,
 * then "active"; pending users are invisible), and pending_email /
 * pending_email_until while an e-mail change is in progress.
 */
export function parseUserHash(hash: Record<string, string>): UserRecord | undefined {
  if (hash.state !== "active" || !hash.user_id) return undefined;
  return {
    userId: hash.user_id,
    username: hash.username ?? "",
    email: hash.email ?? "",
    displayName: hash.display_name ?? "",
    roles: JSON.parse(hash.roles ?? "[]") as string[],
    passwordHash: hash.password_hash ?? "",
    createdAt: Number(hash.created_at),
    updatedAt: Number(hash.updated_at),
    lastLogin: hash.last_login ? Number(hash.last_login) : undefined,
  };
}

/** A user from a script's public field/value pairs (a commit's reply, fresh or recorded). */
export function parsePublicUser(pairs: unknown): PublicUser {
  const user = parseUserHash(pairsToHash(pairs as string[]));
  if (!user) throw new Error("a user script answered without an active user");
  return publicUser(user);
}
