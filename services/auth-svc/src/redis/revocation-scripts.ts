import { LuaScript } from "@faultmaven/redis";

/**
 * Revokes a token by deleting its hash (KEYS[1]): the commit of a
 * revocation, after which the token neither validates nor lists (its list
 * entry is removed next). With ARGV[1] non-empty, only when the hash is of
 * that token: its digest is ARGV[1], or (a token from before the merged
 * layout) its token_sha256 is ARGV[2]. Returns {user_id, token_sha256 or
 * ""}: a token from before the merged layout also has an `auth:token:` key
 * to delete (the digest is already a key name, not a secret). NO_TOKEN (an
 * error, not recorded) when there is no such token.
 */
export const REVOKE_TOKEN_META = new LuaScript(
  "auth_token_meta_revoke",
  `
local f = redis.call('HMGET', KEYS[1], 'user_id', 'digest', 'token_sha256')
if not f[1] then return redis.error_reply('NO_TOKEN no such token') end
if ARGV[1] ~= '' then
  local ours
  if f[2] then ours = f[2] == ARGV[1] else ours = f[3] == ARGV[2] end
  if not ours then return redis.error_reply('NO_TOKEN no such token') end
end
redis.call('DEL', KEYS[1])
return {f[1], f[3] or ''}
`,
  { idempotent: {} },
);

/** Deletes KEYS[1]: the `auth:token:` key of a revoked token from before the merged layout. */
export const DELETE_KEY = new LuaScript("auth_key_delete", "return redis.call('DEL', KEYS[1])");

/**
 * Commits a staged token (KEYS[1], its hash): removes `staged`, a login's
 * last write, after which the token validates. Returns 1; 0 when the hash
 * is gone (revoked between stage and commit). As a script it carries the
 * not-after bound: run late, it is not run at all.
 */
export const COMMIT_TOKEN = new LuaScript(
  "auth_token_commit",
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HDEL', KEYS[1], 'staged')
return 1
`,
);
