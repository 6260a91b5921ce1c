import { UnauthenticatedError } from "@faultmaven/errors";
import type { AuthStore } from "./auth-store.js";
import { TokenNotFoundError, UserNotFoundError } from "./errors.js";
import type { Passwords } from "./passwords.js";
import { mintToken, parseToken, type TokenIdentity, type TokenRecord } from "./token.js";
import type { NewUser, UserRecord } from "./user.js";

/** Who is logging in: a normalised username or e-mail. */
export type LoginName = { username: string } | { email: string };

/**
 * The auth domain: passwords, logins and tokens on top of a store. Inputs
 * are validated and normalised by the handlers; this layer owns the rules
 * (same answer for unknown user and wrong password, password change and
 * deletion revoke tokens, plaintext tokens returned once).
 */
export class Accounts {
  constructor(
    private readonly store: AuthStore,
    private readonly passwords: Passwords,
    private readonly tokenTtlMs: number,
  ) {}

  async createUser(input: Omit<NewUser, "passwordHash"> & { password: string }): Promise<UserRecord> {
    const { password, ...profile } = input;
    return this.store.createUser({ ...profile, passwordHash: await this.passwords.hash(password) });
  }

  async login(name: LoginName, password: string): Promise<{ token: string; info: TokenRecord; user: UserRecord }> {
    const user = "username" in name ? await this.store.findByUsername(name.username) : await this.store.findByEmail(name.email);
    if (!(await this.passwords.verify(user?.passwordHash, password)) || !user) throw new UnauthenticatedError();
    const { token, parsed } = mintToken(user.userId);
    const info = await this.store.issueToken(parsed, this.tokenTtlMs);
    // The token is fully written; now the user must still be there with the
    // same password. A delete or password change that raced this login may
    // have run its revoke-all before our issue: then we revoke our own token
    // and answer as for a wrong password (never NOT_FOUND, which would tell
    // that the account existed).
    const after = await this.store.recordLogin(user.userId).catch((error: unknown) => {
      if (error instanceof UserNotFoundError) return undefined;
      throw error;
    });
    if (after?.passwordHash !== user.passwordHash) {
      await this.store.revokeToken(parsed);
      throw new UnauthenticatedError();
    }
    return { token, info, user: after };
  }

  async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<number> {
    const user = await this.store.getUser(userId);
    if (!user) throw new UserNotFoundError(userId);
    if (!(await this.passwords.verify(user.passwordHash, currentPassword))) {
      throw new UnauthenticatedError("current password is wrong", "WRONG_PASSWORD");
    }
    await this.store.setPasswordHash(userId, await this.passwords.hash(newPassword));
    return this.store.revokeUserTokens(userId);
  }

  async deleteUser(userId: string): Promise<number> {
    // The user first: from then on no token of it validates, and a login
    // still in flight sees the user gone after issuing (and revokes its own
    // token). Every token issued before that is listed by now, so the
    // revoke-all below leaves none behind.
    if (!(await this.store.deleteUser(userId))) throw new UserNotFoundError(userId);
    return this.store.revokeUserTokens(userId);
  }

  async validateToken(token: string): Promise<TokenIdentity> {
    const parsed = parseToken(token);
    const identity = parsed ? await this.store.validateToken(parsed) : undefined;
    if (!identity) throw new UnauthenticatedError("token is invalid, expired or revoked", "INVALID_TOKEN");
    return identity;
  }

  async revokeToken(target: { token: string } | { tokenId: string }): Promise<{ tokenId: string; userId: string }> {
    let revoked: { tokenId: string; userId: string } | undefined;
    if ("token" in target) {
      const parsed = parseToken(target.token);
      revoked = parsed ? await this.store.revokeToken(parsed) : undefined;
    } else {
      revoked = await this.store.revokeTokenById(target.tokenId);
    }
    if (!revoked) throw new TokenNotFoundError();
    return revoked;
  }
}
