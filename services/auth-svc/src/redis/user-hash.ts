import { pairsToHash } from "@faultmaven/redis";
import { type NewUser, publicUser, type PublicUser, type UserRecord } from "../domain/user.js";
import { USER_FIELDS as F, joinPassword, parseRoles, passwordFields, PHC_PREFIX, rolesField } from "./user-fields.js";

/**
 * A user from `auth:user:{id}` in either layout (the key holds the id):
 * the current one (USER_FIELDS: one-letter names, no state once active),
 * or an earlier one (long names, state "active", roles as JSON, the
 * password as password_salt + password_hash, or whole in password_hash
 * beside a user_id field). Undefined when absent or pending.
 */
export function parseUserHash(hash: Record<string, string>, userId: string): UserRecord | undefined {
  if (hash[F.username] !== undefined) return hash.state === undefined ? currentLayoutUser(hash, userId) : undefined;
  return hash.state === "active" ? earlierLayoutUser(hash, userId) : undefined;
}

function currentLayoutUser(hash: Record<string, string>, userId: string): UserRecord {
  return {
    userId,
    username: hash[F.username] ?? "",
    email: hash[F.email] ?? "",
    displayName: hash[F.display_name] ?? "",
    roles: parseRoles(hash[F.roles]),
    passwordHash: joinPassword(hash[F.password_salt] ?? "", hash[F.password_hash] ?? ""),
    createdAt: Number(hash[F.created_at]),
    updatedAt: Number(hash[F.updated_at] ?? hash[F.created_at]),
    lastLogin: hash[F.last_login] ? Number(hash[F.last_login]) : undefined,
  };
}

function earlierLayoutUser(hash: Record<string, string>, userId: string): UserRecord {
  const salt = hash.password_salt;
  return {
    userId,
    username: hash.username ?? "",
    email: hash.email ?? "",
    displayName: hash.display_name ?? "",
    roles: parseRoles(hash.roles),
    passwordHash:
      salt === undefined ? (hash.password_hash ?? "") : `${salt.startsWith("$") ? "" : PHC_PREFIX}${salt}$${hash.password_hash ?? ""}`,
    createdAt: Number(hash.created_at),
    updatedAt: Number(hash.updated_at ?? hash.created_at),
    lastLogin: hash.last_login ? Number(hash.last_login) : undefined,
  };
}

/** A new user's fields in the current layout, for CREATE_PENDING (an empty value is not stored). */
export function newUserFields(user: NewUser, passwordHash: string): Record<string, string> {
  const password = passwordFields(passwordHash);
  return {
    [F.username]: user.username,
    [F.email]: user.email,
    [F.display_name]: user.displayName,
    [F.roles]: rolesField(user.roles),
    [F.password_salt]: password.salt,
    [F.password_hash]: password.hash,
  };
}

/** A user from a script's public field/value pairs (a commit's reply, fresh or recorded, of either layout). */
export function parsePublicUser(pairs: unknown, userId: string): PublicUser {
  const user = parseUserHash(pairsToHash(pairs as string[]), userId);
  if (!user) throw new Error("a user script answered without an active user");
  return publicUser(user);
}
