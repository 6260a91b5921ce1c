import { currentCallScope, outsideCallScope } from "@faultmaven/call-scope";
import { CancelledError, DeadlineExceededError, UnauthenticatedError } from "@faultmaven/errors";
import type { AuthStore } from "./auth-store.js";
import { LoginThrottledError, TokenNotFoundError, UserNotFoundError } from "./errors.js";
import type { LoginName, LoginThrottle } from "./login-throttle.js";
import type { Passwords } from "./passwords.js";
import { mintToken, parseToken, type TokenIdentity, type TokenRecord } from "./token.js";
import type { NewUser, PublicUser, UserRecord } from "./user.js";

export type { LoginName } from "./login-throttle.js";

/**
 * The auth domain: passwords, logins and tokens on top of a store. Inputs
 * are validated and normalised by the handlers; this layer owns the rules
 * (same answer for unknown user and wrong password, failed logins
 * throttled, password change and deletion revoke tokens, plaintext tokens
 * returned once).
 */
export class Accounts {
  constructor(
    private readonly store: AuthStore,
    private readonly passwords: Passwords,
    private readonly tokenTtlMs: number,
    private readonly throttle: LoginThrottle,
  ) {}

  async createUser(input: Omit<NewUser, "passwordHash"> & { password: string }): Promise<PublicUser> {
    const { password, ...profile } = input;
    // Hashed only when the store acts: a retry answered from its record spends no argon2 run.
    return this.store.createUser({ ...profile, passwordHash: () => this.passwords.hash(password) });
  }

  async login(name: LoginName, password: string): Promise<{ token: string; info: TokenRecord; user: UserRecord }> {
    // Before anything reads the account: a refusal looks the same whether or not it exists.
    const attempt = await this.throttle.admit(name, currentCallScope()?.caller?.source);
    if (attempt instanceof LoginThrottledError) throw attempt; // The one place a login is refused as throttled.
    let verified: UserRecord | undefined;
    try {
      const user = "username" in name ? await this.store.findByUsername(name.username) : await this.store.findByEmail(name.email);
      if ((await this.passwords.verify(user?.passwordHash, password, "login")) && user) verified = user;
    } catch (error) {
      // No password was checked (an outage, hashing busy): not a failure to count. But a call the caller
      // ended (cancelled, or its deadline passed, say while waiting for a hashing slot) keeps its count:
      // otherwise parked calls, cancelled after the account's counter was reset or re-created, would take
      // counts off the new counter and lift its lock (a reviewer's attack: 19 guesses instead of 10).
      if (!(error instanceof CancelledError || error instanceof DeadlineExceededError)) await attempt.abandoned();
      throw error;
    }
    // A wrong password or unknown user keeps its count.
    if (!verified) throw new UnauthenticatedError();
    await attempt.succeeded(verified);
    const user = verified;
    const { token, parsed } = mintToken(user.userId);
    const info = await this.store.stageToken(parsed, this.tokenTtlMs);
    try {
      // The token is staged (listed for revocation, not yet working); now the
      // user must still be there with the same password. A delete or password
      // change that raced this login may have run its revoke-all before our
      // stage: then we answer as for a wrong password (never NOT_FOUND, which
      // would tell that the account existed).
      const after = await this.store.recordLogin(user.userId).catch((error: unknown) => {
        if (error instanceof UserNotFoundError) return undefined;
        throw error;
      });
      if (after?.passwordHash !== user.passwordHash) throw new UnauthenticatedError();
      // The token works from here on, unless revoked meanwhile (then it never does).
      if (!(await this.store.commitToken(parsed, this.tokenTtlMs))) throw new UnauthenticatedError();
      return { token, info, user: after };
    } catch (error) {
      // No token outlives a failed login: undo the stage (a commit that came
      // too late did nothing). Outside the call, whose deadline may be gone.
      await outsideCallScope(() => this.store.revokeToken(parsed)).catch(() => undefined);
      throw error;
    }
  }

  async changePassword(userId: string, currentPassword: string, newPassword: string): Promise<number> {
    return this.store.changePassword(userId, async (user) => {
      if (!(await this.passwords.verify(user.passwordHash, currentPassword, "account"))) {
        throw new UnauthenticatedError("current password is wrong", "WRONG_PASSWORD");
      }
      return this.passwords.hash(newPassword);
    });
  }

  async deleteUser(userId: string): Promise<number> {
    // The store removes the user first: from then on no token of it
    // validates, and a login still in flight sees the user gone before it
    // commits its token. Every token staged before that is listed by then,
    // so the revoke-all that follows leaves none behind.
    const revoked = await this.store.deleteUser(userId);
    if (revoked === undefined) throw new UserNotFoundError(userId);
    return revoked;
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
