import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { TokenInfoSchema, UserSchema } from "@faultmaven/contract/auth";
import type { TokenRecord } from "../domain/token.js";
import type { PublicUser } from "../domain/user.js";

/** The user as callers see it: never the password hash. */
export function userToProto(user: PublicUser): MessageInitShape<typeof UserSchema> {
  return {
    userId: user.userId,
    username: user.username,
    email: user.email,
    displayName: user.displayName,
    roles: [...user.roles],
    createdAt: timestampFromMs(user.createdAt),
    updatedAt: timestampFromMs(user.updatedAt),
    ...(user.lastLogin !== undefined ? { lastLogin: timestampFromMs(user.lastLogin) } : {}),
  };
}

export function tokenToProto(token: TokenRecord): MessageInitShape<typeof TokenInfoSchema> {
  return {
    tokenId: token.tokenId,
    userId: token.userId,
    createdAt: timestampFromMs(token.createdAt),
    ...(token.lastUsed !== undefined ? { lastUsed: timestampFromMs(token.lastUsed) } : {}),
    expiresAt: timestampFromMs(token.expiresAt),
    usageCount: BigInt(token.usageCount),
  };
}
