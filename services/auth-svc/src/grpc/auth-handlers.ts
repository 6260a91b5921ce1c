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
import { validate } from "./validate.js";

type Handlers = ServiceHandlers<typeof AuthService>;

/** AuthService: decode and validate, call the domain, encode. */
export function authHandlers(accounts: Accounts, store: AuthStore, passwords: Passwords): Handlers {
  const requireUser = async (userId: string) => {
    const user = await store.getUser(validate.userId("user_id", userId));
    if (!user) throw new UserNotFoundError(userId);
    return user;
  };

  return {
    async createUser(request) {
      const input = {
        username: validate.username("username", request.username),
        email: validate.email("email", request.email),
        password: passwords.check("password", request.password),
        displayName: validate.displayName("display_name", request.displayName),
        roles: validate.roles("roles", request.roles),
      };
      return { user: userToProto(await accounts.createUser(input)) };
    },

    async getUser(request) {
      return { user: userToProto(await requireUser(request.userId)) };
    },

    async lookupUser(request) {
      const key = request.key;
      if (key.case === undefined) throw new InvalidArgumentError("key", "set username or email");
      const user =
        key.case === "username"
          ? await store.findByUsername(validate.username("username", key.value))
          : await store.findByEmail(validate.email("email", key.value));
      if (!user) throw new UserNotFoundError(key.value.slice(0, 64));
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
      const userId = validate.userId("user.user_id", request.user?.userId ?? "");
      const paths = request.updateMask?.paths ?? [];
      if (paths.length === 0) throw new InvalidArgumentError("update_mask", "is required (paths: display_name, email, roles)");
      const changes: { -readonly [K in keyof UserChanges]: UserChanges[K] } = {};
      for (const path of paths) {
        if (path === "display_name") changes.displayName = validate.displayName("user.display_name", request.user?.displayName ?? "");
        else if (path === "email") changes.email = validate.email("user.email", request.user?.email ?? "");
        else if (path === "roles") changes.roles = validate.roles("user.roles", request.user?.roles ?? []);
        else throw new InvalidArgumentError("update_mask", `unknown path "${path.slice(0, 64)}" (allowed: display_name, email, roles)`);
      }
      return { user: userToProto(await store.updateUser(userId, changes)) };
    },

    async changePassword(request) {
      const userId = validate.userId("user_id", request.userId);
      if (request.currentPassword === "") throw new InvalidArgumentError("current_password", "is required");
      const next = passwords.check("new_password", request.newPassword);
      return { revokedCount: await accounts.changePassword(userId, request.currentPassword, next) };
    },

    async deleteUser(request) {
      return { revokedCount: await accounts.deleteUser(validate.userId("user_id", request.userId)) };
    },

    async login(request) {
      const id = request.identifier;
      if (id.case === undefined) throw new InvalidArgumentError("identifier", "set username or email");
      if (request.password === "") throw new InvalidArgumentError("password", "is required");
      const name: LoginName =
        id.case === "username" ? { username: validate.username("username", id.value) } : { email: validate.email("email", id.value) };
      const { token, info, user } = await accounts.login(name, request.password);
      return { token, tokenInfo: tokenToProto(info), user: userToProto(user) };
    },

    async validateToken(request) {
      const identity = await accounts.validateToken(validate.tokenShape("token", request.token));
      return {
        userId: identity.userId,
        roles: [...identity.roles],
        tokenId: identity.tokenId,
        expiresAt: timestampFromMs(identity.expiresAt),
      };
    },

    async revokeToken(request) {
      const target = request.target;
      if (target.case === undefined) throw new InvalidArgumentError("target", "set token or token_id");
      const revoked =
        target.case === "token"
          ? await accounts.revokeToken({ token: validate.tokenShape("token", target.value) })
          : await accounts.revokeToken({ tokenId: validate.tokenId("token_id", target.value) });
      return revoked;
    },

    async revokeUserTokens(request) {
      return { revokedCount: await store.revokeUserTokens(validate.userId("user_id", request.userId)) };
    },

    async listUserTokens(request) {
      const tokens = await store.listUserTokens(validate.userId("user_id", request.userId));
      return { tokens: tokens.map(tokenToProto) };
    },
  };
}
