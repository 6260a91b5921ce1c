/** A user as the store keeps it. Times are Unix milliseconds. */
export interface UserRecord {
  readonly userId: string;
  /** Normalised (lower case): the unique login name. */
  readonly username: string;
  /** Normalised (lower case): the unique e-mail address. */
  readonly email: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  /** argon2id PHC string; never leaves the service. */
  readonly passwordHash: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Undefined until the first login. */
  readonly lastLogin: number | undefined;
}

/** A user as callers see it, and as a recorded reply may hold it: without the password hash. */
export type PublicUser = Omit<UserRecord, "passwordHash">;

/** Input of a create; ids and times are the store's. */
export interface NewUser {
  readonly username: string;
  readonly email: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  /**
   * The argon2id hash, or how to make it: called only when the create
   * acts, so a retry answered from its idempotency record spends no argon2 run.
   */
  readonly passwordHash: string | (() => Promise<string>);
}

/** Strips the password hash (a record's answer to its caller). */
export function publicUser(user: UserRecord): PublicUser {
  const { passwordHash: _, ...rest } = user;
  return rest;
}

/** Profile changes; undefined fields stay as they are. */
export interface UserChanges {
  readonly displayName?: string;
  readonly email?: string;
  readonly roles?: readonly string[];
}
