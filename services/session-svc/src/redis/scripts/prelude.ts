/**
 * Lua helpers shared by the session scripts (prepended to each).
 *
 * Time comes from the Redis clock so every service replica agrees on lease
 * and idle expiry, and every stored timestamp has one clock. `take_call`
 * takes the session id and the publish command off the end of ARGV.
 * `slide` renews the idle expiry of a session (its hash and its message
 * list). `renew_indexes_of` renews a session's client index (only while it
 * still points at the session) and user index (only while it lists the
 * session; its TTL only grows). `renew_indexes` does that for the script's
 * session when the script was given its indexes (KEYS[3], KEYS[4]). Without
 * them (Redis Cluster, where they sit in other slots, or a session whose
 * user and client the store does not know yet) the store renews them with
 * follow-up single-key calls. `write_new_session` writes a new session hash
 * (context pairs from ARGV index `context_from` on) with its TTL, in one
 * HSET, leaving out what is empty or 0, and returns the TTL.
 *
 * Session limits (domain/session-limits.ts), checked in the script that
 * writes, so no sequence of calls gets past them. The hash keeps running
 * counters, so a write costs O(its change), not O(the session):
 * `ctx_entries`, `ctx_bytes` (context keys without the "c:" prefix plus
 * values) and `msg_bytes` (kept messages as stored); Lua's # counts bytes.
 * A counter at 0 is not stored. `counters` reads them (counting once for a
 * session of the earlier layout written before they existed);
 * `bound_context` works out the counters after an update without writing
 * anything, or the refusal {'limit', name, would_be, max}, which
 * `limit_error` answers as an error reply (an error reply is never recorded
 * as an idempotent call's answer: a refused write did nothing).
 *
 * Messages: `stored_message` builds a message's stored form (storedMessage
 * in session-limits.ts; '\31' is U+001F), `message_json` its JSON for a
 * watch event; `move_legacy_messages` moves the `m:<seq>` JSON fields of a
 * session of the earlier layout (it has a `session_id` field) into the
 * message list, oldest first, drops them and `session_id`, and returns the
 * stored bytes (nil for a session of the current layout: one HEXISTS);
 * `keep_messages` pops the oldest messages beyond the count and byte limits
 * (never the newest) and returns how many it dropped.
 *
 * Watch events (WatchSession): `bump` adds one to the session's version
 * (field `ver`, 1 at creation) for a change; `version_of` reads it for a
 * touch, which keeps it. `publish` sends the change's event from the same
 * script, so events leave Redis in the order of the writes and no write
 * goes unannounced (no extra round trip). The channel is
 * `{<session key>}:events`: its hash tag is the session key, so on Cluster
 * it lives in the session's slot and SPUBLISH from the script is allowed;
 * the command (PUBLISH on standalone and Sentinel, SPUBLISH on Cluster) is
 * the script's last ARGV (see `take_publish_command`). The event is a small
 * JSON object {v: version, e: kind, at: now, ttl: ms left, ...kind's fields}
 * parsed by redis/session-event-json.ts.
 */
export const PRELUDE = `
local function take_publish_command()
  local cmd = table.remove(ARGV)
  if cmd ~= 'PUBLISH' and cmd ~= 'SPUBLISH' then error('no publish command given') end
  return cmd
end

local function take_call()
  local cmd = take_publish_command()
  return cmd, table.remove(ARGV)
end

local function bump(key) return redis.call('HINCRBY', key, 'ver', 1) end

local function version_of(key) return tonumber(redis.call('HGET', key, 'ver') or '0') end

local function publish(cmd, key, version, kind, now, ttl, extra)
  redis.call(cmd, '{' .. key .. '}:events',
    string.format('{"v":%d,"e":"%s","at":%d,"ttl":%d', version, kind, now, ttl) .. (extra or '') .. '}')
end

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function slide(key, msgs, now, idle_ms)
  local ttl = idle_ms
  local cap = redis.call('HGET', key, 'absolute_expires_at')
  if cap then ttl = math.min(ttl, tonumber(cap) - now) end
  if ttl <= 0 then return false end
  redis.call('HSET', key, 'last_activity', now)
  redis.call('PEXPIRE', key, ttl)
  redis.call('PEXPIRE', msgs, ttl)
  return ttl
end

local function renew_indexes_of(id, client_index, user_index, ttl)
  if redis.call('GET', client_index) == id then redis.call('PEXPIRE', client_index, ttl) end
  if redis.call('ZSCORE', user_index, id) and redis.call('PTTL', user_index) < ttl then redis.call('PEXPIRE', user_index, ttl) end
end

local function write_new_session(key, now, idle, cap_ms, user_id, client_id, case_id, context_from)
  local fields = {'user_id', user_id, 'client_id', client_id, 'created_at', now, 'last_activity', now, 'ver', 1}
  local entries, bytes = 0, 0
  for i = context_from, #ARGV, 2 do
    entries, bytes = entries + 1, bytes + #ARGV[i] + #ARGV[i + 1]
    table.insert(fields, 'c:' .. ARGV[i])
    table.insert(fields, ARGV[i + 1])
  end
  if case_id ~= '' then table.insert(fields, 'case_id'); table.insert(fields, case_id) end
  if entries > 0 then
    table.insert(fields, 'ctx_entries'); table.insert(fields, entries)
    table.insert(fields, 'ctx_bytes'); table.insert(fields, bytes)
  end
  local ttl = idle
  if cap_ms > 0 then
    table.insert(fields, 'absolute_expires_at'); table.insert(fields, now + cap_ms)
    ttl = math.min(idle, cap_ms)
  end
  redis.call('HSET', key, unpack(fields))
  redis.call('PEXPIRE', key, ttl)
  return ttl
end

local function counters(key)
  local f = redis.call('HMGET', key, 'ctx_entries', 'ctx_bytes', 'msg_bytes', 'session_id')
  if not f[4] or (f[1] and f[2] and f[3]) then return {tonumber(f[1] or 0), tonumber(f[2] or 0), tonumber(f[3] or 0)} end
  local c = {0, 0, 0}
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    local kind = string.sub(all[i], 1, 2)
    if kind == 'c:' then c[1], c[2] = c[1] + 1, c[2] + #all[i] - 2 + #all[i + 1]
    elseif kind == 'm:' then c[3] = c[3] + #all[i + 1] end
  end
  return c
end

local function save_counters(key, c)
  local names, set, zero = {'ctx_entries', 'ctx_bytes', 'msg_bytes'}, {}, {}
  for i = 1, 3 do
    if c[i] == 0 then table.insert(zero, names[i]) else table.insert(set, names[i]); table.insert(set, c[i]) end
  end
  if #set > 0 then redis.call('HSET', key, unpack(set)) end
  if #zero > 0 then redis.call('HDEL', key, unpack(zero)) end
end

local function limit_error(r)
  return redis.error_reply('LIMIT ' .. r[2] .. ' ' .. string.format('%d', r[3]) .. ' ' .. string.format('%d', r[4]))
end

local function bound_context(key, replace, set_from, sets, remove_from, removes, max_entries, max_bytes)
  local before = counters(key)
  local n, b = before[1], before[2]
  if replace then n, b = 0, 0 end
  local pending = {}
  local function stored_len(k)
    if pending[k] ~= nil then return pending[k] end
    if replace then return false end
    local len = redis.call('HSTRLEN', key, 'c:' .. k)
    if len == 0 and redis.call('HEXISTS', key, 'c:' .. k) == 0 then return false end
    return len
  end
  for j = 0, sets - 1 do
    local k, v = ARGV[set_from + 2 * j], ARGV[set_from + 2 * j + 1]
    local old = stored_len(k)
    if old then b = b - #k - old else n = n + 1 end
    b = b + #k + #v
    pending[k] = #v
  end
  for j = 0, removes - 1 do
    local k = ARGV[remove_from + j]
    local old = stored_len(k)
    if old then n, b = n - 1, b - #k - old end
    pending[k] = false
  end
  if n > max_entries and n > before[1] then return {'limit', 'context_entries', n, max_entries} end
  if b > max_bytes and b > before[2] then return {'limit', 'context_bytes', b, max_bytes} end
  return nil, {n, b, before[3]}
end

local function stored_message(role, timestamp, metadata, content)
  return string.sub(role, 1, 1) .. string.format('%d', timestamp) .. '\\31' .. metadata .. '\\31' .. content
end

local function message_json(role, timestamp, metadata, content)
  if metadata == '' then metadata = '{}' end
  return '{"role":"' .. role .. '","content":' .. cjson.encode(content) .. ',"metadata":' .. metadata ..
    string.format(',"timestamp":%d}', timestamp)
end

local function move_legacy_messages(key, msgs)
  if redis.call('HEXISTS', key, 'session_id') == 0 then return nil end
  local all = redis.call('HGETALL', key)
  local found, fields = {}, {'session_id'}
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == 'm:' then
      table.insert(found, {tonumber(string.sub(all[i], 3)), all[i + 1]})
      table.insert(fields, all[i])
    end
  end
  table.sort(found, function(a, b) return a[1] < b[1] end)
  local bytes = 0
  for _, m in ipairs(found) do
    local j = cjson.decode(m[2])
    local metadata = ''
    if type(j.metadata) == 'table' and next(j.metadata) ~= nil then metadata = cjson.encode(j.metadata) end
    local entry = stored_message(j.role, j.timestamp, metadata, j.content)
    redis.call('RPUSH', msgs, entry)
    bytes = bytes + #entry
  end
  redis.call('HDEL', key, unpack(fields))
  return bytes
end

local function keep_messages(msgs, c, max_count, max_bytes)
  local dropped = 0
  local kept = redis.call('LLEN', msgs)
  while kept > max_count or (c[3] > max_bytes and kept > 1) do
    c[3], kept, dropped = c[3] - #redis.call('LPOP', msgs), kept - 1, dropped + 1
  end
  return dropped
end

local function renew_indexes(id, ttl)
  if #KEYS < 4 then return end
  renew_indexes_of(id, KEYS[3], KEYS[4], ttl)
end
`;
