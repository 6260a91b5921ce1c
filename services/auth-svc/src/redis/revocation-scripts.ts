import { LuaScript } from "@faultmaven/redis";

/**
 * Revokes a token by deleting its metadata (KEYS[1]): the commit of a
 * revocation, after which the token neither validates nor lists (its token
 * key and list entry are removed next). With ARGV[1] non-empty, only when
 * the metadata's token_sha256 is ARGV[1] (revoking by the token itself).
 * Returns {user_id, token_sha256} (the digest is already a key name, not a
 * secret); NO_TOKEN (an error, not recorded) when there is no such token.
 */
export const REVOKE_TOKEN_META = new LuaScript(
  "auth_token_meta_revoke",
  `
local f = redis.call('HMGET', KEYS[1], 'user_id', 'token_sha256')
if not f[1] or not f[2] or (ARGV[1] ~= '' and f[2] ~= ARGV[1]) then return redis.error_reply('NO_TOKEN no such token') end
redis.call('DEL', KEYS[1])
return {f[1], f[2]}
`,
  { idempotent: {} },
);

/** Deletes KEYS[1]: a token key whose metadata is gone (a revoked token, or one whose login failed). */
export const DELETE_KEY = new LuaScript("auth_key_delete", "return redis.call('DEL', KEYS[1])");

/**
 * Writes a token key (KEYS[1] -> user id ARGV[1], TTL ARGV[2] ms): a
 * login's last write, after which the token validates. As a script it
 * carries the not-after bound: written late, it is not written at all.
 */
export const SET_TOKEN_KEY = new LuaScript("auth_token_key_set", "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1");
