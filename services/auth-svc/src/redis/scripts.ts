import { LuaScript } from "@faultmaven/redis";
import { USER_FIELDS as F } from "./user-fields.js";
import { PUBLIC_HASH, SET_FIELDS, TO_CURRENT_LAYOUT, USER_FIELDS_LUA, USER_STATE } from "./user-layout-lua.js";

/**
 * auth-svc scripts. Each touches one key (Cluster-safe) except VALIDATE,
 * which reads two keys that the token itself names, so it runs as ONE
 * round trip on standalone and Sentinel; Cluster splits it (see
 * token-steps.ts). Every key is given in KEYS; timestamps come from the
 * Redis clock. User scripts read a user hash of any layout and write the
 * current one, turning an earlier-layout user into it first (see
 * user-layout-lua.ts).
 */

const NOW_MS = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Compare-and-act on a uniqueness index (auth:username:*, auth:email:*):
 * only when it holds ARGV[1] (empty = absent). ARGV[2]: "set" (to ARGV[3],
 * with PX ARGV[4] when > 0), "del" or "persist". Returns 1 when done.
 */
export const INDEX_CAS = new LuaScript(
  "auth_index_cas",
  `
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return 0 end
if ARGV[2] == 'set' then
  if tonumber(ARGV[4]) > 0 then redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4]) else redis.call('SET', KEYS[1], ARGV[3]) end
elseif ARGV[2] == 'del' then
  redis.call('DEL', KEYS[1])
else
  redis.call('PERSIST', KEYS[1])
end
return 1
`,
);

/**
 * Writes a user hash in state "pending" with a short TTL (ARGV[1] ms),
 * created_at (updated_at comes with the first change), then field/value
 * pairs (current names; an empty value is not stored): invisible to every
 * read until ACTIVATE, and gone by itself if the create dies half-way. A
 * retry of a keyed create (same user id) rewrites its own pending hash.
 * Returns 1, or 0 when the user is already active (that create finished)
 * and nothing was written.
 */
export const CREATE_PENDING = new LuaScript(
  "auth_user_create_pending",
  NOW_MS +
    USER_STATE +
    TO_CURRENT_LAYOUT +
    SET_FIELDS +
    `
local state = user_state(KEYS[1])
if state and state ~= 'pending' then return 0 end
to_current_layout(KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'pending', F.created_at, now_ms())
set_fields(KEYS[1], 2)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`,
);

/** Deletes a user hash only while it is still pending: the undo of a create that lost a claim. */
export const DISCARD_PENDING = new LuaScript(
  "auth_user_discard_pending",
  `
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then return 0 end
return redis.call('DEL', KEYS[1])
`,
);

/**
 * Makes a pending user visible and permanent (removes `state`: an active
 * user has none): CreateUser's commit, and the script that records its
 * reply. Returns the user's public fields as field/value pairs;
 * NOT_PENDING (an error, so not recorded) when the pending user expired or
 * is gone.
 */
export const ACTIVATE = new LuaScript(
  "auth_user_activate",
  TO_CURRENT_LAYOUT +
    PUBLIC_HASH +
    `
if redis.call('HGET', KEYS[1], 'state') ~= 'pending' then
  return redis.error_reply('NOT_PENDING the pending user expired or is gone')
end
to_current_layout(KEYS[1])
redis.call('HDEL', KEYS[1], 'state')
redis.call('PERSIST', KEYS[1])
return public_hash(KEYS[1])
`,
  { idempotent: {} },
);

/**
 * Appends a user id to auth:user_list; with ARGV[2] = "1" (a keyed create,
 * whose attempts share the id) only if it is not among the last 1000
 * entries yet: an attempt of the same create pushed it moments ago, so the
 * search stays short on a long list.
 */
export const LIST_USER = new LuaScript(
  "auth_user_list_push",
  `
if ARGV[2] == '1' and redis.call('LPOS', KEYS[1], ARGV[1], 'RANK', -1, 'MAXLEN', 1000) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
`,
);

/** Removes every occurrence of ARGV[1] from the list KEYS[1] (the user list). */
export const LIST_REMOVE = new LuaScript("auth_list_remove", "return redis.call('LREM', KEYS[1], 0, ARGV[1])");

/** A user hash with the Redis time (ms) it was read at: {now, HGETALL}. */
export const READ_USER_AT = new LuaScript("auth_user_read_at", `${NOW_MS}return {now_ms(), redis.call('HGETALL', KEYS[1])}`, {
  readOnly: true,
});

/**
 * ChangePassword's commit: sets the password to ARGV[1] (salt field) and
 * ARGV[2] (hash field), as passwordFields splits it, on an active user
 * whose password is still the PHC string ARGV[3] (the one the current
 * password was checked against; compared as the same split) and who has
 * not logged in since ARGV[4] (Redis ms, read before its tokens were
 * revoked: a login since may hold a token that the revoke missed). Answers
 * ARGV[5], how many tokens were revoked (recorded; no secret). Errors (not
 * recorded): NO_USER, PASSWORD_CHANGED, LOGIN_RACE.
 */
export const SET_PASSWORD = new LuaScript(
  "auth_user_set_password",
  NOW_MS +
    USER_STATE +
    TO_CURRENT_LAYOUT +
    `
if user_state(KEYS[1]) ~= 'active' then return redis.error_reply('NO_USER no active user') end
to_current_layout(KEYS[1])
local f = redis.call('HMGET', KEYS[1], F.password_salt, F.password_hash, F.last_login)
local salt, hash = password_fields(ARGV[3])
if (f[1] or '') ~= salt or (f[2] or '') ~= hash then
  return redis.error_reply('PASSWORD_CHANGED the password changed meanwhile')
end
if tonumber(f[3] or 0) >= tonumber(ARGV[4]) then return redis.error_reply('LOGIN_RACE a login ran during the change') end
redis.call('HSET', KEYS[1], F.password_salt, ARGV[1], F.password_hash, ARGV[2], F.updated_at, now_ms())
return tonumber(ARGV[5])
`,
  { idempotent: {} },
);

/**
 * Sets field/value pairs (ARGV from 2, current names) on an active user,
 * stamps updated_at (or only last_login when ARGV[1] is "login") and
 * returns HGETALL; nil when there is no active user.
 */
export const UPDATE_USER = new LuaScript(
  "auth_user_update",
  NOW_MS +
    USER_STATE +
    TO_CURRENT_LAYOUT +
    SET_FIELDS +
    `
if user_state(KEYS[1]) ~= 'active' then return nil end
to_current_layout(KEYS[1])
redis.call('HSET', KEYS[1], ARGV[1] == 'login' and F.last_login or F.updated_at, now_ms())
set_fields(KEYS[1], 2)
return redis.call('HGETALL', KEYS[1])
`,
);

/**
 * UpdateUser without an e-mail change: sets field/value pairs (ARGV,
 * current names; an empty value removes its field) on an active user and
 * stamps updated_at. Answers {"", public fields} (the shape
 * of COMMIT_EMAIL's answer: both record UpdateUser's reply); NO_USER (an
 * error, not recorded) when there is no active user.
 */
export const UPDATE_PROFILE = new LuaScript(
  "auth_user_update_profile",
  NOW_MS +
    USER_STATE +
    TO_CURRENT_LAYOUT +
    SET_FIELDS +
    PUBLIC_HASH +
    `
if user_state(KEYS[1]) ~= 'active' then return redis.error_reply('NO_USER no active user') end
to_current_layout(KEYS[1])
redis.call('HSET', KEYS[1], F.updated_at, now_ms())
set_fields(KEYS[1], 1)
return {'', public_hash(KEYS[1])}
`,
  { idempotent: {} },
);

/**
 * Announces an e-mail change in progress (ARGV[1], for ARGV[2] ms) on an
 * active user, so that the claim made next counts as live (see
 * UniqueIndex). The announcement also serialises a user's e-mail changes:
 * it stays until FINISH_EMAIL, after the old address's claim is released.
 * Returns 1; 0 when there is no active user; -1 while another unexpired
 * change of the same user (to another address) is in progress.
 */
export const ANNOUNCE_EMAIL = new LuaScript(
  "auth_user_announce_email",
  NOW_MS +
    USER_STATE +
    TO_CURRENT_LAYOUT +
    `
if user_state(KEYS[1]) ~= 'active' then return 0 end
to_current_layout(KEYS[1])
local now = now_ms()
local pending = redis.call('HMGET', KEYS[1], F.pending_email, F.pending_email_until)
if pending[1] and pending[1] ~= ARGV[1] and tonumber(pending[2] or 0) > now then return -1 end
redis.call('HSET', KEYS[1], F.pending_email, ARGV[1], F.pending_email_until, now + tonumber(ARGV[2]))
return 1
`,
);

/**
 * Commits an announced e-mail change (ARGV[1]) plus other field/value pairs,
 * only while the announcement is still this one and unexpired (a change
 * that took longer may have lost its claim), or when the user already has
 * that address (a concurrent change to the same address committed first).
 * The announcement stays (see FINISH_EMAIL). Returns {previous e-mail,
 * public fields}; NOT_ANNOUNCED (an error, not recorded) otherwise.
 */
export const COMMIT_EMAIL = new LuaScript(
  "auth_user_commit_email",
  NOW_MS +
    USER_STATE +
    TO_CURRENT_LAYOUT +
    SET_FIELDS +
    PUBLIC_HASH +
    `
if user_state(KEYS[1]) ~= 'active' then return redis.error_reply('NOT_ANNOUNCED no active user') end
to_current_layout(KEYS[1])
local f = redis.call('HMGET', KEYS[1], F.email, F.pending_email, F.pending_email_until)
local now = now_ms()
if f[1] ~= ARGV[1] and (f[2] ~= ARGV[1] or tonumber(f[3] or 0) <= now) then
  return redis.error_reply('NOT_ANNOUNCED the change is no longer announced')
end
redis.call('HSET', KEYS[1], F.email, ARGV[1], F.updated_at, now)
set_fields(KEYS[1], 2)
return {f[1], public_hash(KEYS[1])}
`,
  { idempotent: {} },
);

/**
 * Ends the announcement of ARGV[1] (removes it): a change that failed to
 * claim it, or one that committed and released its old address. Returns 1
 * when it was still announced.
 */
export const FINISH_EMAIL = new LuaScript(
  "auth_user_finish_email",
  TO_CURRENT_LAYOUT +
    `
to_current_layout(KEYS[1])
if redis.call('HGET', KEYS[1], F.pending_email) ~= ARGV[1] then return 0 end
redis.call('HDEL', KEYS[1], F.pending_email, F.pending_email_until)
return 1
`,
);

/**
 * Does the user (pending or active, either layout) hold `ARGV[2]` in field
 * ARGV[1] ("username" or "email", by its earlier name), or has it
 * announced it as pending (unexpired by the Redis clock)? Returns 1 or 0.
 */
export const HOLDS = new LuaScript(
  "auth_user_holds",
  NOW_MS +
    USER_STATE +
    `
if not user_state(KEYS[1]) then return 0 end
local names = {ARGV[1], 'pending_' .. ARGV[1], 'pending_' .. ARGV[1] .. '_until'}
local both = {}
for _, name in ipairs(names) do
  both[#both + 1] = F[name] or name
  both[#both + 1] = name
end
local f = redis.call('HMGET', KEYS[1], unpack(both))
local value, pending, pending_until = f[1] or f[2], f[3] or f[4], f[5] or f[6]
if value == ARGV[2] then return 1 end
if pending == ARGV[2] and tonumber(pending_until or 0) > now_ms() then return 1 end
return 0
`,
  { readOnly: true },
);

/**
 * Deletes a user hash: DeleteUser's commit. ARGV[1] is how many live tokens
 * the user had (they are revoked right after). Returns {username, email,
 * pending_email (empty when no change is in progress), token count};
 * NO_USER (an error, not recorded) when absent.
 */
export const DELETE_USER = new LuaScript(
  "auth_user_delete",
  USER_FIELDS_LUA +
    `
local f = redis.call('HMGET', KEYS[1], F.username, 'username', F.email, 'email', F.pending_email, 'pending_email')
local username = f[1] or f[2]
if not username then return redis.error_reply('NO_USER no such user') end
redis.call('DEL', KEYS[1])
return {username, f[3] or f[4] or '', f[5] or f[6] or '', tonumber(ARGV[1])}
`,
  { idempotent: {} },
);

/**
 * A token hash's check, for VALIDATE and USE_TOKEN_META: committed (no
 * `staged` field), and its `digest` (base64url) is ARGV[2]; a token issued
 * before the merged layout holds `token_sha256` (hex) instead, checked
 * against ARGV[3].
 */
const DIGEST_MATCHES = `
local function digest_matches(digest, legacy_hex, staged)
  if staged then return false end
  if digest then return digest == ARGV[2] end
  return legacy_hex ~= false and legacy_hex == ARGV[3]
end
`;

/**
 * ValidateToken in one round trip. KEYS: auth:token_meta:{id} (the token
 * hash), auth:user:{id}; ARGV: user id, token digest (base64url), token
 * SHA-256 hex (tokens from before the merged layout). The token hash must
 * be committed, belong to the user and to this token, and be unexpired, and
 * the user active (either layout; the names are spelled out, not looked up:
 * a hot call). Counts the use. Returns {roles as stored (see parseRoles),
 * expires_at} or nil.
 */
export const VALIDATE = new LuaScript(
  "auth_token_validate",
  NOW_MS +
    DIGEST_MATCHES +
    `
local meta = redis.call('HMGET', KEYS[1], 'user_id', 'digest', 'expires_at', 'token_sha256', 'staged')
local now = now_ms()
if meta[1] ~= ARGV[1] or not digest_matches(meta[2], meta[4], meta[5]) or tonumber(meta[3]) <= now then return nil end
local user = redis.call('HMGET', KEYS[2], 'state', '${F.username}', '${F.roles}', 'roles')
if not (user[1] == 'active' or (not user[1] and user[2])) then return nil end
redis.call('HINCRBY', KEYS[1], 'usage_count', 1)
redis.call('HSET', KEYS[1], 'last_used', now)
return {user[3] or user[4] or '', meta[3]}
`,
  // Its write (last_used, usage_count) is incidental to a read.
  { readOnly: true },
);

/** Cluster half of VALIDATE on the token hash alone: same checks, counts the use, returns expires_at or nil. */
export const USE_TOKEN_META = new LuaScript(
  "auth_token_use_meta",
  NOW_MS +
    DIGEST_MATCHES +
    `
local meta = redis.call('HMGET', KEYS[1], 'user_id', 'digest', 'expires_at', 'token_sha256', 'staged')
local now = now_ms()
if meta[1] ~= ARGV[1] or not digest_matches(meta[2], meta[4], meta[5]) or tonumber(meta[3]) <= now then return nil end
redis.call('HINCRBY', KEYS[1], 'usage_count', 1)
redis.call('HSET', KEYS[1], 'last_used', now)
return meta[3]
`,
);

/**
 * Stages a new token's hash: user_id ARGV[2], digest ARGV[3], created_at
 * and expires_at from the Redis clock, and `staged`, with a TTL of ARGV[1]
 * ms: the token does not work until COMMIT_TOKEN removes `staged`.
 * Returns {created_at, expires_at}.
 */
export const ISSUE_TOKEN_META = new LuaScript(
  "auth_token_meta_issue",
  NOW_MS +
    `
local now = now_ms()
local expires = now + tonumber(ARGV[1])
redis.call('HSET', KEYS[1], 'user_id', ARGV[2], 'digest', ARGV[3], 'created_at', now, 'expires_at', expires, 'staged', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return {now, expires}
`,
);

/**
 * A user's token list (KEYS[1]) as a sorted set, oldest first: a list
 * (the layout before) is turned into one in place, its order kept.
 */
const USER_TOKENS_AS_ZSET = `
local function user_tokens_as_zset(key)
  if redis.call('TYPE', key).ok ~= 'list' then return end
  local ids = redis.call('LRANGE', key, 0, -1)
  local ttl = redis.call('PTTL', key)
  redis.call('DEL', key)
  for i, id in ipairs(ids) do redis.call('ZADD', key, 'NX', i, id) end
  if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
end
`;

/**
 * Adds a token id to a user's token set, scored one above the newest (so
 * the order is the order of issue), and extends (never shortens) its TTL
 * to ARGV[2] ms. Returns the ids beyond the newest ARGV[3] (oldest first),
 * for the store to revoke: each revocation removes its own entry, so an id
 * stays listed (and revocable by RevokeUserTokens) until its token is gone.
 */
export const PUSH_USER_TOKEN = new LuaScript(
  "auth_user_tokens_push",
  USER_TOKENS_AS_ZSET +
    `
user_tokens_as_zset(KEYS[1])
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('ZADD', KEYS[1], (tonumber(newest[2]) or 0) + 1, ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local excess = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[3])
if excess <= 0 then return {} end
return redis.call('ZRANGE', KEYS[1], 0, excess - 1)
`,
);

/** A user's token ids, oldest first, from the sorted set (or a list, the layout before). */
export const USER_TOKEN_IDS = new LuaScript(
  "auth_user_tokens_read",
  `
if redis.call('TYPE', KEYS[1]).ok == 'list' then return redis.call('LRANGE', KEYS[1], 0, -1) end
return redis.call('ZRANGE', KEYS[1], 0, -1)
`,
  { readOnly: true },
);

/** Removes token id ARGV[1] from a user's token set (or list, the layout before). */
export const USER_TOKEN_REMOVE = new LuaScript(
  "auth_user_tokens_remove",
  `
if redis.call('TYPE', KEYS[1]).ok == 'list' then return redis.call('LREM', KEYS[1], 0, ARGV[1]) end
return redis.call('ZREM', KEYS[1], ARGV[1])
`,
);
