import { LuaScript } from "@faultmaven/redis";
import { PRELUDE } from "./prelude.js";

/**
 * The session scripts. Each works on ONE session (KEYS[1]) so it is atomic;
 * atomicity is what makes concurrent appends, updates and lock calls lose
 * nothing. KEYS[2] and KEYS[3], when given, are the session's client and
 * user indexes (see PRELUDE); no script builds a key name. ARGV[1] is the
 * idle TTL in ms unless said otherwise. Every script but CREATE announces
 * its change to watchers (PRELUDE `publish`) and takes the publish command
 * as its last ARGV; a change adds one to the version, a touch keeps it.
 *
 * The scripts whose effect is a call's effect are idempotent (see
 * LuaScript): with the call's idempotency key, a retry is answered by the
 * recorded reply (DELETE, the lock scripts) or, for the large session
 * replies of APPEND and UPDATE, by the session as it is now, without acting
 * again. CREATE and TOUCH are not: CREATE writes a session whose id is new
 * on every attempt (CreateSession's idempotent step claims the client index,
 * see create-in-steps.ts), and TouchSession takes no key.
 */

/** A retried APPEND or UPDATE answers the session as it is now (only the request's fingerprint is recorded). */
const SESSION_AS_IT_IS_NOW = "return redis.call('HGETALL', KEYS[1])";

/** Writes a new session hash with its TTL. Returns {now, ttl}. */
export const CREATE = new LuaScript(
  "session_create",
  PRELUDE +
    `
local now = now_ms()
local ttl = write_new_session(KEYS[1], now, tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], ARGV[4], ARGV[5], ARGV[6], 7)
return {now, ttl}
`,
);

/** Touch: returns {now, ttl, session_id, user_id, client_id}, or nil when gone. */
export const TOUCH = new LuaScript(
  "session_touch",
  PRELUDE +
    `
local pub = take_publish_command()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local now = now_ms()
local ttl = slide(KEYS[1], now, tonumber(ARGV[1]))
if not ttl then return nil end
renew_indexes(ttl)
publish(pub, KEYS[1], version_of(KEYS[1]), 'touch', now, ttl)
local f = redis.call('HMGET', KEYS[1], 'session_id', 'user_id', 'client_id')
return {now, ttl, f[1], f[2], f[3]}
`,
);

/**
 * Append: numbers the message (msg_seq), stores it as field m:<seq> with
 * its timestamp from the Redis clock, then drops the oldest until at most
 * ARGV[2] messages of at most ARGV[4] bytes in all remain. ARGV[3]: the
 * message as a JSON object without its timestamp. Returns the whole hash
 * (HGETALL), nil when gone, or the error `LIMIT message_bytes size max`
 * (nothing written) when the message alone is larger than ARGV[4].
 */
export const APPEND = new LuaScript(
  "session_append",
  PRELUDE +
    `
local pub = take_publish_command()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local now = now_ms()
local message = string.sub(ARGV[3], 1, -2) .. ',"timestamp":' .. string.format('%d', now) .. '}'
if #message > tonumber(ARGV[4]) then return limit_error({'limit', 'message_bytes', #message, tonumber(ARGV[4])}) end
local ttl = slide(KEYS[1], now, tonumber(ARGV[1]))
if not ttl then return nil end
renew_indexes(ttl)
local c = counters(KEYS[1])
local seq = redis.call('HINCRBY', KEYS[1], 'msg_seq', 1)
redis.call('HSET', KEYS[1], 'm:' .. seq, message)
c[3] = c[3] + #message
local dropped = keep_messages(KEYS[1], seq, c, tonumber(ARGV[2]), tonumber(ARGV[4]))
publish(pub, KEYS[1], bump(KEYS[1]), 'append', now, ttl, string.format(',"n":%d,"d":%d,"m":', seq, dropped) .. message)
return redis.call('HGETALL', KEYS[1])
`,
  { idempotent: { replay: SESSION_AS_IT_IS_NOW } },
);

/**
 * Update: ARGV[2] "1" to set case_id to ARGV[3]; ARGV[4] "1" to clear the
 * context first; then ARGV[5] = number of keys to set followed by key/value
 * pairs, then the number of keys to remove followed by the keys, then the
 * context entry and byte limits. Returns HGETALL, nil when gone, or the
 * error `LIMIT name would_be max` (nothing written) when the context would
 * go past a limit. An update that asks for no change (a resume on Cluster)
 * is a touch: it slides the expiry and keeps the version.
 */
export const UPDATE = new LuaScript(
  "session_update",
  PRELUDE +
    `
local pub = take_publish_command()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local set_count = tonumber(ARGV[5])
local remove_at = 6 + 2 * set_count
local remove_count = tonumber(ARGV[remove_at])
local limits_at = remove_at + remove_count + 1
local refused, c = bound_context(KEYS[1], ARGV[4] == '1', 6, set_count, remove_at + 1, remove_count,
  tonumber(ARGV[limits_at]), tonumber(ARGV[limits_at + 1]))
if refused then return limit_error(refused) end
local now = now_ms()
local ttl = slide(KEYS[1], now, tonumber(ARGV[1]))
if not ttl then return nil end
renew_indexes(ttl)
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'case_id', ARGV[3]) end
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
if ARGV[2] ~= '1' and ARGV[4] ~= '1' and set_count == 0 and remove_count == 0 then
  publish(pub, KEYS[1], version_of(KEYS[1]), 'touch', now, ttl)
  return redis.call('HGETALL', KEYS[1])
end
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
publish(pub, KEYS[1], bump(KEYS[1]), 'update', now, ttl, ',"u":' .. cjson.encode(change))
return redis.call('HGETALL', KEYS[1])
`,
  { idempotent: { replay: SESSION_AS_IT_IS_NOW } },
);

/**
 * Delete: removes the hash and, when given, the client index (only if it
 * still points here) and the session's entry in the user index. ARGV: the
 * publish command only. Returns {session_id, user_id, client_id}, or nil
 * when there was none. Its event (the last of the session) has the version
 * the delete would have made, and no expiry.
 */
export const DELETE = new LuaScript(
  "session_delete",
  PRELUDE +
    `
local pub = take_publish_command()
local f = redis.call('HMGET', KEYS[1], 'session_id', 'user_id', 'client_id', 'ver')
if not f[1] then return nil end
redis.call('DEL', KEYS[1])
publish(pub, KEYS[1], tonumber(f[4] or '0') + 1, 'delete', now_ms(), 0)
if #KEYS == 3 then
  if redis.call('GET', KEYS[2]) == f[1] then redis.call('DEL', KEYS[2]) end
  redis.call('ZREM', KEYS[3], f[1])
end
return {f[1], f[2], f[3]}
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
local pub = take_publish_command()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local now = now_ms()
local held = redis.call('HMGET', KEYS[1], 'lock_owner', 'lock_until')
if held[1] and tonumber(held[2]) > now then return {'locked', tonumber(held[2])} end
local ttl = slide(KEYS[1], now, tonumber(ARGV[1]))
if not ttl then return nil end
renew_indexes(ttl)
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
local pub = take_publish_command()
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local held = redis.call('HMGET', KEYS[1], 'lock_owner', 'lock_fence')
if held[1] ~= ARGV[2] or held[2] ~= ARGV[3] then return {'not_held'} end
local now = now_ms()
local ttl = slide(KEYS[1], now, tonumber(ARGV[1]))
if not ttl then return nil end
renew_indexes(ttl)
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
