/**
 * The current layout of `auth:user:{id}` (docs/key-schema.md): short
 * field names (one letter, two for the e-mail change's), because every user keeps every name in its listpack, keyed
 * here by what the earlier layouts called them. A user hash of the current
 * layout is the one holding `u`; `state` is there only while a create is
 * pending (an active user has none). The Lua scripts take their names from
 * this table too (see user-layout-lua.ts).
 */
export const USER_FIELDS = {
  username: "u",
  email: "e",
  /** Absent when empty. */
  display_name: "d",
  /** Comma-separated (role names have no comma, nor a leading `[`); absent when there are none. */
  roles: "r",
  /** The PHC string's salt, after its parameters unless they are DEFAULT_PHC_PARAMS (see passwordFields). */
  password_salt: "s",
  password_hash: "h",
  created_at: "c",
  /** Absent until the first change. */
  updated_at: "m",
  last_login: "l",
  pending_email: "pe",
  pending_email_until: "pu",
} as const;

/** What every PHC string Passwords makes starts with: never stored. */
export const PHC_PREFIX = "$argon2id$v=19$";

/**
 * The argon2id parameters a salt field may leave out: the default policy's
 * (m=19 MiB, t=2, p=1). Part of the stored layout, so it never changes with
 * the policy: a hash made with other parameters keeps them.
 */
export const DEFAULT_PHC_PARAMS = "m=19456,t=2,p=1";

const DEFAULT_HEAD = `${PHC_PREFIX}${DEFAULT_PHC_PARAMS}$`;

/**
 * A PHC string as the user hash keeps it, split at its last `$`: the salt
 * field is the salt alone under the default parameters (it has no `$`),
 * else the parameters and salt without PHC_PREFIX, or (another algorithm
 * or version) everything before the hash, starting with `$`.
 * password_fields (user-layout-lua.ts) splits the same way.
 */
export function passwordFields(phc: string): { salt: string; hash: string } {
  const cut = phc.lastIndexOf("$");
  if (cut < 0) return { salt: "", hash: phc };
  const head = phc.slice(0, cut);
  const hash = phc.slice(cut + 1);
  if (head.startsWith(DEFAULT_HEAD) && head.length > DEFAULT_HEAD.length) return { salt: head.slice(DEFAULT_HEAD.length), hash };
  const params = head.slice(PHC_PREFIX.length);
  if (head.startsWith(PHC_PREFIX) && params.includes("$")) return { salt: params, hash };
  return { salt: head, hash };
}

/** The PHC string back from the fields passwordFields made. */
export function joinPassword(salt: string, hash: string): string {
  if (salt.startsWith("$")) return `${salt}$${hash}`;
  return `${salt.includes("$") ? PHC_PREFIX : DEFAULT_HEAD}${salt}$${hash}`;
}

/**
 * The roles field's value: comma-separated ("" when none: not stored).
 * The contract's role rule (1-64 of letters, digits and _ . : -) keeps out
 * what would make it ambiguous; a store caller that got past it fails here.
 */
export function rolesField(roles: readonly string[]): string {
  if (roles.some((role) => role === "" || role.includes(",") || role.startsWith("["))) {
    throw new Error("a role name that is empty, holds a comma or starts with [ cannot be stored");
  }
  return roles.join(",");
}

/** Roles as either layout stores them: the current comma-separated field, or the earlier JSON array (it starts with `[`). */
export function parseRoles(stored: string | null | undefined): string[] {
  if (!stored) return [];
  return stored.startsWith("[") ? (JSON.parse(stored) as string[]) : stored.split(",");
}
