import { LuaScript } from "@faultmaven/redis";
import { PRELUDE } from "./prelude.js";

/**
 * The session scripts. Each works on ONE session, its hash (KEYS[1]) and
 * its message list (KEYS[2], in the hash's slot), so it is atomic;
 * atomicity is what makes concurrent appends, updates and lock calls lose
 * nothing. KEYS[3] and KEYS[4], when given, are the session's client and
 * user indexes (see PRELUDE); no script builds a key name. ARGV[1] is the
 * idle TTL in ms unless said otherwise. Every script but CREATE announces
 * its change to watchers (PRELUDE `publish`) and takes the session id and
 * the publish command as its last two ARGV (`take_call`); a change adds one
 * to the version, a touch keeps it.
 *
 * The scripts whose effect is a call's effect are idempotent (see
 * LuaScript): with the call's idempotency key, a retry is answered by the
 * recorded reply (DELETE, the lock scripts, and the small replies of APPEND
 * and UPDATE) or, for the variants that answer the whole session, by the
 * counters and session as they are now, without acting again. CREATE and
 * TOUCH are not: CREATE writes a session whose id is new on every attempt
 * (CreateSession's idempotent step claims the client index, see
 * create-in-steps.ts), and TouchSession takes no key.
 */

/** The whole session: its hash and its stored messages, oldest first. */
const SESSION = "redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1)";

/** GetSession: {HGETALL, stored messages}, or nil when the session is gone. Reads only. */
export const GET_SESSION = new LuaScript(
  "session_get",
  `
local hash = redis.call('HGETALL', KEYS[1])
if #hash == 0 then return nil end
return {hash, redis.call('LRANGE', KEYS[2], 0, -1)}
`,
  { readOnly: true },
);

/**
 * FindSessionByClient in one round trip when the store can guess the
 * session: KEYS are the client index, the guessed session's hash and
 * message list; ARGV[1] the guessed id. Answers {'found', HGETALL, stored
 * messages} when the index names the guess and it is live, {'moved', id}
 * when the index names another session (the store reads that one), nil when
 * the index is empty or its session gone. Reads only.
 */
export const FIND_BY_CLIENT = new LuaScript(
  "session_find_by_client",
  `
local indexed = redis.call('GET', KEYS[1])
if not indexed then return nil end
if indexed ~= ARGV[1] then return {'moved', indexed} end
local hash = redis.call('HGETALL', KEYS[2])
if #hash == 0 then return nil end
return {'found', hash, redis.call('LRANGE', KEYS[3], 0, -1)}
`,
  { readOnly: true },
);

/** Writes a new session hash with its TTL. Returns {now, ttl}. */
export const CREATE = new LuaScript(
  "session_create",
  PRELUDE +
    `
local now = now_ms()
local ttl = write_new_session(KEYS[1], now, tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[4], ARGV[5], ARGV[6], 7)
return {now, ttl}
`,
);

/** Touch: returns {now, ttl, session_id, user_id, client_id}, or nil when gone. */
export const TOUCH = new LuaScript(
  "session_touch",
  PRELUDE +
    `
local pub, id = take_call()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local now = now_ms()
local ttl = slide(KEYS[1], KEYS[2], now, tonumber(ARGV[1]))
if not ttl then return nil end
renew_indexes(id, ttl)
publish(pub, KEYS[1], version_of(KEYS[1]), 'touch', now, ttl)
local f = redis.call('HMGET', KEYS[1], 'user_id', 'client_id')
return {now, ttl, id, f[1], f[2]}
`,
);

/**
 * Append: numbers the message (msg_seq), pushes it onto the message list in
 * its stored form (storedMessage in session-limits.ts) with its timestamp
 * from the Redis clock, then drops the oldest until at most ARGV[2]
 * messages of at most ARGV[6] bytes in all remain. ARGV[3..5]: the role,
 * the metadata as JSON ('' for none), the content. A session written before
 * the message list has its messages moved there first (once). Answers
 * {now, ttl, seq, version, dropped, user_id, client_id}, plus the session
 * (HGETALL, stored messages) in APPEND_ANSWERING_SESSION; nil when gone, or
 * the error `LIMIT message_bytes size max` (nothing written) when the
 * message alone is larger than ARGV[6]. Its work does not grow with the
 * session, except the one-time move and the session answered.
 */
const APPEND_BODY = `
local pub, id = take_call()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local now = now_ms()
local role, metadata, content, max_bytes = ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local entry = stored_message(role, now, metadata, content)
if #entry > max_bytes then return limit_error({'limit', 'message_bytes', #entry, max_bytes}) end
local ttl = slide(KEYS[1], KEYS[2], now, tonumber(ARGV[1]))
if not ttl then return nil end
renew_indexes(id, ttl)
local c = counters(KEYS[1])
local moved = move_legacy_messages(KEYS[1], KEYS[2])
if moved then c[3] = moved end
local seq = redis.call('HINCRBY', KEYS[1], 'msg_seq', 1)
redis.call('RPUSH', KEYS[2], entry)
redis.call('PEXPIRE', KEYS[2], ttl)
c[3] = c[3] + #entry
local dropped = keep_messages(KEYS[2], c, tonumber(ARGV[2]), max_bytes)
save_counters(KEYS[1], c)
local version = bump(KEYS[1])
publish(pub, KEYS[1], version, 'append', now, ttl,
  string.format(',"n":%d,"d":%d,"m":', seq, dropped) .. message_json(role, now, metadata, content))
local f = redis.call('HMGET', KEYS[1], 'user_id', 'client_id')
`;

export const APPEND = new LuaScript("session_append", `${PRELUDE}${APPEND_BODY}return {now, ttl, seq, version, dropped, f[1], f[2]}`, {
  idempotent: {},
});

/** The counters as they are now, for a retry of a call that asked for the session: {now, ttl, seq, version, 0, ids}. */
const COUNTERS_NOW = `local f = redis.call('HMGET', KEYS[1], 'last_activity', 'msg_seq', 'ver', 'user_id', 'client_id')
if not f[4] then return nil end
local head = {tonumber(f[1]), redis.call('PTTL', KEYS[1]), tonumber(f[2] or '0'), tonumber(f[3] or '0')}`;

export const APPEND_ANSWERING_SESSION = new LuaScript(
  "session_append_answering_session",
  `${PRELUDE}${APPEND_BODY}return {now, ttl, seq, version, dropped, f[1], f[2], ${SESSION}}`,
  { idempotent: { replay: `${COUNTERS_NOW}\nreturn {head[1], head[2], head[3], head[4], 0, f[4], f[5], ${SESSION}}` } },
);

/**
 * Update: ARGV[2] "1" to set case_id to ARGV[3]; ARGV[4] "1" to clear the
 * context first; then ARGV[5] = number of keys to set followed by key/value
 * pairs, then the number of keys to remove followed by the keys, then the
 * context entry and byte limits. Answers {now, ttl, version, user_id,
 * client_id}, plus the session in UPDATE_ANSWERING_SESSION; nil when gone,
 * or the error `LIMIT name would_be max` (nothing written) when the context
 * would go past a limit. An update that asks for no change (a resume on
 * Cluster) is a touch: it slides the expiry and keeps the version.
 */
const UPDATE_BODY = `
local pub, id = take_call()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local set_count = tonumber(ARGV[5])
local remove_at = 6 + 2 * set_count
local remove_count = tonumber(ARGV[remove_at])
local limits_at = remove_at + remove_count + 1
local refused, c = bound_context(KEYS[1], ARGV[4] == '1', 6, set_count, remove_at + 1, remove_count,
  tonumber(ARGV[limits_at]), tonumber(ARGV[limits_at + 1]))
if refused then return limit_error(refused) end
local now = now_ms()
local ttl = slide(KEYS[1], KEYS[2], now, tonumber(ARGV[1]))
if not ttl then return nil end
renew_indexes(id, ttl)
if ARGV[2] == '1' then
  if ARGV[3] == '' then redis.call('HDEL', KEYS[1], 'case_id') else redis.call('HSET', KEYS[1], 'case_id', ARGV[3]) end
end
if ARGV[4] == '1' then
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 1, 2) == 'c:' then redis.call('HDEL', KEYS[1], field) end
  end
end
local i = 5
local sets = tonumber(ARGV[i])
for j = 1, sets do redis.call('HSET', KEYS[1], 'c:' .. ARGV[i + 2 * j - 1], ARGV[i + 2 * j]) end
i = i + 2 * sets + 1
for j = 1, tonumber(ARGV[i]) do redis.call('HDEL', KEYS[1], 'c:' .. ARGV[i + j]) end
save_counters(KEYS[1], c)
local version
if ARGV[2] ~= '1' and ARGV[4] ~= '1' and set_count == 0 and remove_count == 0 then
  version = version_of(KEYS[1])
  publish(pub, KEYS[1], version, 'touch', now, ttl)
else
  local change = {}
  if ARGV[2] == '1' then change.case = ARGV[3] end
  if ARGV[4] == '1' then change.clr = true end
  if set_count > 0 then
    change.set = {}
    for j = 0, set_count - 1 do change.set[ARGV[6 + 2 * j]] = ARGV[7 + 2 * j] end
  end
  if remove_count > 0 then
    change.rm = {}
    for j = 1, remove_count do change.rm[j] = ARGV[remove_at + j] end
  end
  version = bump(KEYS[1])
  publish(pub, KEYS[1], version, 'update', now, ttl, ',"u":' .. cjson.encode(change))
end
local f = redis.call('HMGET', KEYS[1], 'user_id', 'client_id')
`;

export const UPDATE = new LuaScript("session_update", `${PRELUDE}${UPDATE_BODY}return {now, ttl, version, f[1], f[2]}`, {
  idempotent: {},
});

export const UPDATE_ANSWERING_SESSION = new LuaScript(
  "session_update_answering_session",
  `${PRELUDE}${UPDATE_BODY}return {now, ttl, version, f[1], f[2], ${SESSION}}`,
  { idempotent: { replay: `${COUNTERS_NOW}\nreturn {head[1], head[2], head[4], f[4], f[5], ${SESSION}}` } },
);

/**
 * Delete: removes the hash, its message list and, when given, the client
 * index (only if it still points here) and the session's entry in the user
 * index. ARGV: the session id and publish command only. Returns {session_id, user_id, client_id}, or nil
 * when there was none. Its event (the last of the session) has the version
 * the delete would have made, and no expiry.
 */
export const DELETE = new LuaScript(
  "session_delete",
  PRELUDE +
    `
local pub, id = take_call()
local f = redis.call('HMGET', KEYS[1], 'user_id', 'client_id', 'ver')
if not f[1] then return nil end
redis.call('DEL', KEYS[1], KEYS[2])
publish(pub, KEYS[1], tonumber(f[3] or '0') + 1, 'delete', now_ms(), 0)
if #KEYS == 4 then
  if redis.call('GET', KEYS[3]) == id then redis.call('DEL', KEYS[3]) end
  redis.call('ZREM', KEYS[4], id)
end
return {id, f[1], f[2]}
`,
  { idempotent: {} },
);

/**
 * Lock acquire (seed: "SETNX for session locking", kept inside the session
 * hash so it is one key): succeeds when no unexpired lease is held; the
 * fencing token (lock_fence) only ever grows. ARGV[2] owner, ARGV[3] lease ms.
 * Returns {'ok', fence, until, ttl, user_id, client_id} | {'locked', until} | nil when gone.
 */
export const LOCK_ACQUIRE = new LuaScript(
  "session_lock_acquire",
  PRELUDE +
    `
local pub, id = take_call()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local now = now_ms()
local held = redis.call('HMGET', KEYS[1], 'lock_owner', 'lock_until')
if held[1] and tonumber(held[2]) > now then return {'locked', tonumber(held[2])} end
local ttl = slide(KEYS[1], KEYS[2], now, tonumber(ARGV[1]))
if not ttl then return nil end
renew_indexes(id, ttl)
local fence = redis.call('HINCRBY', KEYS[1], 'lock_fence', 1)
local expires = now + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'lock_owner', ARGV[2], 'lock_until', expires)
publish(pub, KEYS[1], bump(KEYS[1]), 'lock_acquire', now, ttl,
  ',"own":' .. cjson.encode(ARGV[2]) .. string.format(',"f":%d,"until":%d', fence, expires))
local f = redis.call('HMGET', KEYS[1], 'user_id', 'client_id')
return {'ok', fence, expires, ttl, f[1], f[2]}
`,
  { idempotent: {} },
);

/**
 * Lock refresh (ARGV[4] lease ms > 0) or release (ARGV[4] = 0): only for the
 * holder, identified by owner (ARGV[2]) and fencing token (ARGV[3]). A lease
 * that lapsed with no new holder is still the caller's (the token proves no
 * one else took it since). Returns {'ok', fence, until_or_now, ttl, user_id, client_id} |
 * {'not_held'} | nil when gone.
 */
export const LOCK_RENEW_OR_RELEASE = new LuaScript(
  "session_lock_renew_or_release",
  PRELUDE +
    `
local pub, id = take_call()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local held = redis.call('HMGET', KEYS[1], 'lock_owner', 'lock_fence')
if held[1] ~= ARGV[2] or held[2] ~= ARGV[3] then return {'not_held'} end
local now = now_ms()
local ttl = slide(KEYS[1], KEYS[2], now, tonumber(ARGV[1]))
if not ttl then return nil end
renew_indexes(id, ttl)
local f = redis.call('HMGET', KEYS[1], 'user_id', 'client_id')
local lease = tonumber(ARGV[4])
local owner = ',"own":' .. cjson.encode(ARGV[2]) .. string.format(',"f":%d,"until":%d', tonumber(held[2]), now + lease)
if lease == 0 then
  redis.call('HDEL', KEYS[1], 'lock_owner', 'lock_until')
  publish(pub, KEYS[1], bump(KEYS[1]), 'lock_release', now, ttl, owner)
  return {'ok', tonumber(held[2]), now, ttl, f[1], f[2]}
end
redis.call('HSET', KEYS[1], 'lock_until', now + lease)
publish(pub, KEYS[1], bump(KEYS[1]), 'lock_refresh', now, ttl, owner)
return {'ok', tonumber(held[2]), now + lease, ttl, f[1], f[2]}
`,
  { idempotent: {} },
);
