/**
 * Lua helpers shared by the session scripts (prepended to each).
 *
 * Time comes from the Redis clock so every service replica agrees on lease
 * and idle expiry, and every stored timestamp has one clock. `slide` renews
 * the idle expiry of a session. `renew_indexes_of` renews a session's client
 * index (only while it still points at the session) and user index (only
 * while it lists the session; its TTL only grows). `renew_indexes` does that
 * for the script's session (KEYS[1]) when the script was given its indexes
 * (KEYS[2], KEYS[3]). Without them (Redis Cluster, where they sit in other
 * slots, or a session whose user and client the store does not know yet)
 * the store renews them with follow-up single-key calls.
 * `write_new_session` writes a new session hash (context pairs from ARGV
 * index `context_from` on) with its TTL, and returns the TTL.
 */
export const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function slide(key, now, idle_ms)
  local ttl = idle_ms
  local cap = redis.call('HGET', key, 'absolute_expires_at')
  if cap then ttl = math.min(ttl, tonumber(cap) - now) end
  if ttl <= 0 then return false end
  redis.call('HSET', key, 'last_activity', now)
  redis.call('PEXPIRE', key, ttl)
  return ttl
end

local function renew_indexes_of(id, client_index, user_index, ttl)
  if redis.call('GET', client_index) == id then redis.call('PEXPIRE', client_index, ttl) end
  if redis.call('ZSCORE', user_index, id) and redis.call('PTTL', user_index) < ttl then redis.call('PEXPIRE', user_index, ttl) end
end

local function write_new_session(key, now, idle, cap_ms, id, user_id, client_id, case_id, context_from)
  redis.call('HSET', key, 'session_id', id, 'user_id', user_id, 'client_id', client_id,
    'case_id', case_id, 'created_at', now, 'last_activity', now, 'msg_seq', 0)
  local ttl = idle
  if cap_ms > 0 then
    redis.call('HSET', key, 'absolute_expires_at', now + cap_ms)
    ttl = math.min(idle, cap_ms)
  end
  for i = context_from, #ARGV, 2 do redis.call('HSET', key, 'c:' .. ARGV[i], ARGV[i + 1]) end
  redis.call('PEXPIRE', key, ttl)
  return ttl
end

local function renew_indexes(ttl)
  if #KEYS < 3 then return end
  renew_indexes_of(redis.call('HGET', KEYS[1], 'session_id'), KEYS[2], KEYS[3], ttl)
end
`;
