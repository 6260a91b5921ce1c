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

/** Input of a create; ids and times are the store's. */
export interface NewUser {
  readonly username: string;
  readonly email: string;
  readonly displayName: string;
  readonly roles: readonly string[];
  readonly passwordHash: string;
}

/** Profile changes; undefined fields stay as they are. */
export interface UserChanges {
  readonly displayName?: string;
  readonly email?: string;
  readonly roles?: readonly string[];
}
