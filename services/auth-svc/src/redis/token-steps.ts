import { MultiKeyStep } from "@faultmaven/redis";
import type { ParsedToken, TokenIdentity } from "../domain/token.js";
import { authKeys } from "./keys.js";
import { USE_TOKEN_META, VALIDATE } from "./scripts.js";

/**
 * ValidateToken (a hot call): the token names all three keys it needs, so
 * where they may share a script it is ONE round trip (VALIDATE over
 * `auth:token:`, `auth:token_meta:`, `auth:user:`); on Cluster they sit in
 * three slots and are read in parallel, the use counted on the metadata key
 * (still one round trip of latency). Same checks, same answer.
 */
export const VALIDATE_TOKEN = new MultiKeyStep<ParsedToken, TokenIdentity | undefined>("validate_token", {
  plan: (_, token) => ({
    script: VALIDATE,
    keys: [authKeys.token(token.sha256), authKeys.tokenMeta(token.tokenId), authKeys.user(token.userId)],
    args: [token.userId, token.sha256],
  }),
  decode: (reply, token) => {
    if (!reply) return undefined;
    const [roles, expiresAt] = reply as [string, string];
    return identity(token, roles, expiresAt);
  },
  split: async (calls, token) => {
    const [owner, metaExpiry, user] = await Promise.all([
      calls.client.get(authKeys.token(token.sha256)),
      calls.script(USE_TOKEN_META, authKeys.tokenMeta(token.tokenId), [token.userId, token.sha256]) as Promise<string | null>,
      calls.client.hmget(authKeys.user(token.userId), "state", "roles"),
    ]);
    if (owner !== token.userId || metaExpiry === null || user[0] !== "active") return undefined;
    return identity(token, user[1] ?? null, metaExpiry);
  },
});

function identity(token: ParsedToken, roles: string | null, expiresAt: string): TokenIdentity {
  return { userId: token.userId, tokenId: token.tokenId, roles: JSON.parse(roles ?? "[]") as string[], expiresAt: Number(expiresAt) };
}
