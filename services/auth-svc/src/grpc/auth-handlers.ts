import { timestampFromMs } from "@bufbuild/protobuf/wkt";
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
import { isWellFormedToken } from "../domain/token.js";

type Handlers = ServiceHandlers<typeof AuthService>;

/** A token of another shape than Login's is bad input, not a failed authentication. */
function wellFormedToken(field: string, token: string): string {
  if (!isWellFormedToken(token)) throw new InvalidArgumentError(field, "is not a FaultMaven token (fm1.…)");
  return token;
}

/** AuthService: normalise, call the domain, encode. Requests arrive checked against the contract's rules. */
export function authHandlers(accounts: Accounts, store: AuthStore, passwords: Passwords): Handlers {
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
      return { user: userToProto(await accounts.createUser(input)) };
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
      return { user: userToProto(await store.updateUser(user.userId, changes)) };
    },

    async changePassword(request) {
      const next = passwords.check("new_password", request.newPassword);
      return { revokedCount: await accounts.changePassword(request.userId, request.currentPassword, next) };
    },

    async deleteUser(request) {
      return { revokedCount: await accounts.deleteUser(request.userId) };
    },

    async login(request) {
      // The contract requires one of the two, and the password.
      const id = request.identifier;
      const name: LoginName =
        id.case === "username" ? { username: normalise.username(id.value) } : { email: normalise.email(id.value ?? "") };
      const { token, info, user } = await accounts.login(name, request.password);
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
      return target.case === "token"
        ? accounts.revokeToken({ token: wellFormedToken("token", target.value) })
        : accounts.revokeToken({ tokenId: target.value ?? "" });
    },

    async revokeUserTokens(request) {
      return { revokedCount: await store.revokeUserTokens(request.userId) };
    },

    async listUserTokens(request) {
      const tokens = await store.listUserTokens(request.userId);
      return { tokens: tokens.map(tokenToProto) };
    },
  };
}
