import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { auditTarget, succeeded } from "@faultmaven/audit";
import type { AuthService } from "@faultmaven/contract/auth";
import { InvalidArgumentError } from "@faultmaven/errors";
import { decodePageToken, encodePageToken, pageSize, type ServiceHandlers } from "@faultmaven/grpc-kit";
import type { Accounts, LoginName } from "../domain/accounts.js";
import type { AuthStore } from "../domain/auth-store.js";
import { UserNotFoundError } from "../domain/errors.js";
import type { Passwords } from "../domain/passwords.js";
import type { UserChanges } from "../domain/user.js";
import { tokenToProto, userToProto } from "./to-proto.js";
import { normalise } from "./normalise.js";
import { isWellFormedToken, parseToken } from "../domain/token.js";
import { type AuthAudit, loginTarget } from "./auth-audit.js";
import { updateAudited } from "./update-audited.js";

type Handlers = ServiceHandlers<typeof AuthService>;

/** A token of another shape than Login's is bad input, not a failed authentication. */
function wellFormedToken(field: string, token: string): string {
  if (!isWellFormedToken(token)) throw new InvalidArgumentError(field, "is not a FaultMaven token (fm1.…)");
  return token;
}

/**
 * AuthService: normalise, call the domain, encode. Requests arrive checked
 * against the contract's rules. Security events go to the audit trail
 * (user create and delete, login and the token it issues, password, e-mail
 * and role changes, revocations), success or failure.
 */
export function authHandlers(accounts: Accounts, store: AuthStore, passwords: Passwords, audit: AuthAudit): Handlers {
  const requireUser = async (userId: string) => {
    const user = await store.getUser(userId);
    if (!user) throw new UserNotFoundError(userId);
    return user;
  };

  return {
    async createUser(request) {
      const input = {
        username: normalise.username(request.username),
        email: normalise.email(request.email),
        password: passwords.check("password", request.password),
        displayName: request.displayName,
        roles: normalise.roles(request.roles),
      };
      const user = await audit.around(
        "user_create",
        auditTarget.loginName(input.username),
        () => accounts.createUser(input),
        (created) => ({ userId: created.userId }),
      );
      return { user: userToProto(user) };
    },

    async getUser(request) {
      return { user: userToProto(await requireUser(request.userId)) };
    },

    async lookupUser(request) {
      // The contract requires one of the two.
      const key = request.key;
      const user =
        key.case === "username"
          ? await store.findByUsername(normalise.username(key.value))
          : await store.findByEmail(normalise.email(key.value ?? ""));
      if (!user) throw new UserNotFoundError((key.value ?? "").slice(0, 64));
      return { user: userToProto(user) };
    },

    async listUsers(request) {
      const size = pageSize(request.pageSize);
      const offset = decodePageToken("users", request.pageToken);
      const page = await store.listUsers(offset, size);
      return {
        users: page.users.map(userToProto),
        nextPageToken: page.nextOffset === undefined ? "" : encodePageToken("users", page.nextOffset),
      };
    },

    async updateUser(request) {
      // The contract requires user and a mask of known paths, and checks every field of user.
      const user = request.user!;
      const changes: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {};
      for (const path of request.updateMask!.paths) {
        if (path === "display_name") changes.displayName = user.displayName;
        else if (path === "roles") changes.roles = normalise.roles(user.roles);
        else if (path === "email") {
          if (user.email === "") throw new InvalidArgumentError("user.email", "is required when update_mask names email");
          changes.email = normalise.email(user.email);
        }
      }
      return { user: userToProto(await updateAudited(audit.trail, store, user.userId, changes)) };
    },

    async changePassword(request) {
      const next = passwords.check("new_password", request.newPassword);
      const revokedCount = await audit.around(
        "password_change",
        auditTarget.user(request.userId),
        () => accounts.changePassword(request.userId, request.currentPassword, next),
        (count) => ({ revokedCount: count }),
      );
      return { revokedCount };
    },

    async deleteUser(request) {
      const revokedCount = await audit.around(
        "user_delete",
        auditTarget.user(request.userId),
        () => accounts.deleteUser(request.userId),
        (count) => ({ revokedCount: count }),
      );
      return { revokedCount };
    },

    async login(request) {
      // The contract requires one of the two, and the password.
      const id = request.identifier;
      const name: LoginName =
        id.case === "username" ? { username: normalise.username(id.value) } : { email: normalise.email(id.value ?? "") };
      const { token, info, user } = await audit.around(
        "login",
        loginTarget(name),
        () => accounts.login(name, request.password),
        (done) => ({ userId: done.user.userId, tokenId: done.info.tokenId }),
      );
      audit.trail.record({
        action: "token_issue",
        target: auditTarget.token(info.tokenId),
        outcome: succeeded,
        detail: { userId: info.userId },
      });
      return { token, tokenInfo: tokenToProto(info), user: userToProto(user) };
    },

    async validateToken(request) {
      const identity = await accounts.validateToken(wellFormedToken("token", request.token));
      return {
        userId: identity.userId,
        roles: [...identity.roles],
        tokenId: identity.tokenId,
        expiresAt: timestampFromMs(identity.expiresAt),
      };
    },

    async revokeToken(request) {
      // The contract requires one of the two.
      const target = request.target;
      const named: { token: string } | { tokenId: string } =
        target.case === "token" ? { token: wellFormedToken("token", target.value) } : { tokenId: target.value ?? "" };
      // Named by its id, or by the id inside the token: the token itself is never recorded.
      const tokenId = "token" in named ? parseToken(named.token)!.tokenId : named.tokenId;
      return audit.around(
        "token_revoke",
        auditTarget.token(tokenId),
        () => accounts.revokeToken(named),
        (revoked) => ({ userId: revoked.userId }),
      );
    },

    async revokeUserTokens(request) {
      const revokedCount = await audit.around(
        "token_revoke_all",
        auditTarget.user(request.userId),
        () => store.revokeUserTokens(request.userId),
        (count) => ({ revokedCount: count }),
      );
      return { revokedCount };
    },

    async listUserTokens(request) {
      const tokens = await store.listUserTokens(request.userId);
      return { tokens: tokens.map(tokenToProto) };
    },
  };
}
