/**
 * Lua helpers shared by the session scripts (prepended to each).
 *
 * Time comes from the Redis clock so every service replica agrees on lease
 * and idle expiry, and every stored timestamp has one clock. `slide` renews
 * the idle expiry of the session (KEYS[1]). `renew_indexes` renews, when
 * the script was given them, the client index (KEYS[2], only while it still
 * points at this session) and the user index (KEYS[3], only while it lists
 * this session; its TTL only grows). Without them (Redis Cluster, where
 * they sit in other slots, or a session whose user and client the store
 * does not know yet) the store renews them with follow-up single-key calls.
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

local function renew_indexes(ttl)
  if #KEYS < 3 then return end
  local id = redis.call('HGET', KEYS[1], 'session_id')
  if redis.call('GET', KEYS[2]) == id then redis.call('PEXPIRE', KEYS[2], ttl) end
  if redis.call('ZSCORE', KEYS[3], id) and redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
end
`;
