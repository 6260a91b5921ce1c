import { MultiKeyStep } from "@faultmaven/redis";
import type { ParsedToken, TokenIdentity } from "../domain/token.js";
import { authKeys } from "./keys.js";
import { tokenDigest } from "./token-digest.js";
import { USE_TOKEN_META, VALIDATE } from "./scripts.js";
import { parseRoles, USER_FIELDS } from "./user-fields.js";

/**
 * ValidateToken (a hot call): the token names both keys it needs, so
 * where they may share a script it is ONE round trip (VALIDATE over
 * `auth:token_meta:`, `auth:user:`); on Cluster they sit in two slots and
 * are read in parallel, the use counted on the token hash (still one round
 * trip of latency). Same checks, same answer.
 */
export const VALIDATE_TOKEN = new MultiKeyStep<ParsedToken, TokenIdentity | undefined>("validate_token", {
  plan: (_, token) => ({
    script: VALIDATE,
    keys: [authKeys.tokenMeta(token.tokenId), authKeys.user(token.userId)],
    args: [token.userId, tokenDigest(token), token.sha256],
  }),
  decode: (reply, token) => {
    if (!reply) return undefined;
    const [roles, expiresAt] = reply as [string, string];
    return identity(token, roles, expiresAt);
  },
  split: async (calls, token) => {
    const [metaExpiry, user] = await Promise.all([
      calls.script(USE_TOKEN_META, authKeys.tokenMeta(token.tokenId), [token.userId, tokenDigest(token), token.sha256]) as Promise<
        string | null
      >,
      calls.client.hmget(authKeys.user(token.userId), "state", USER_FIELDS.username, USER_FIELDS.roles, "roles"),
    ]);
    // Active as VALIDATE tells it: "active" (an earlier layout), or no state in a user of the current one.
    const active = user[0] === "active" || (user[0] === null && user[1] !== null);
    if (metaExpiry === null || !active) return undefined;
    return identity(token, user[2] ?? user[3] ?? null, metaExpiry);
  },
});

function identity(token: ParsedToken, roles: string | null, expiresAt: string): TokenIdentity {
  return { userId: token.userId, tokenId: token.tokenId, roles: parseRoles(roles), expiresAt: Number(expiresAt) };
}
