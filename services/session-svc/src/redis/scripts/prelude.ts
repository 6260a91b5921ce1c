/**
 * Lua helpers shared by the session scripts (prepended to each).
 *
 * Time comes from the Redis clock so every service replica agrees on lease
 * and idle expiry. `slide` renews the idle expiry of a session and, when
 * ARGV says the satellites may be derived in-script (standalone and
 * Sentinel), of its client index (only while it still points at this
 * session) and its user index (only ever extended). In Cluster mode those
 * keys live in other slots, so the store renews them with follow-up calls.
 */
export const PRELUDE = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function slide(key, now, idle_ms, derive)
  local ttl = idle_ms
  local cap = redis.call('HGET', key, 'absolute_expires_at')
  if cap then ttl = math.min(ttl, tonumber(cap) - now) end
  if ttl <= 0 then return false end
  redis.call('HSET', key, 'last_activity', now)
  redis.call('PEXPIRE', key, ttl)
  if derive == '1' then
    local f = redis.call('HMGET', key, 'session_id', 'user_id', 'client_id')
    local index = 'client_session:' .. f[2] .. ':' .. f[3]
    if redis.call('GET', index) == f[1] then redis.call('PEXPIRE', index, ttl) end
    local by_user = 'session:user_sessions:' .. f[2]
    if redis.call('PTTL', by_user) < ttl then redis.call('PEXPIRE', by_user, ttl) end
  end
  return ttl
end
`;
