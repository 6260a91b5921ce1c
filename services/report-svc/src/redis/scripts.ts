import { LuaScript } from "@faultmaven/redis";

/**
 * Saves one report's metadata atomically: the next version of (case, type)
 * is read and taken in the same script that indexes the report and makes it
 * current, so concurrent saves get unique, gapless versions and exactly one
 * current report. When the case is closed (its timeline has a TTL) the new
 * keys get the same TTL.
 *
 * KEYS: case:{c}:reports:{type}, case:{c}:reports, case:{c}:reports:current,
 * report:{id}:metadata. ARGV: report id, type, then field/value pairs. The
 * previous current report's hash (`report:{prev}:metadata`) is derived
 * in-script, which standalone Redis and Sentinel allow (not Cluster).
 * Returns {version, created_at}.
 */
export const SAVE = new LuaScript(
  "report_save",
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local id, report_type = ARGV[1], ARGV[2]
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local version = 1
if top[2] then version = 1 - tonumber(top[2]) end
local closed_ttl = redis.call('PTTL', KEYS[2])
local previous = redis.call('HGET', KEYS[3], report_type)
redis.call('ZADD', KEYS[1], -version, id)
redis.call('ZADD', KEYS[2], now, id)
redis.call('HSET', KEYS[3], report_type, id)
redis.call('HSET', KEYS[4], 'report_id', id, 'type', report_type, 'version', version, 'created_at', now, 'is_current', 'true')
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
if previous and previous ~= id then
  local previous_key = 'report:' .. previous .. ':metadata'
  if redis.call('EXISTS', previous_key) == 1 then redis.call('HSET', previous_key, 'is_current', 'false') end
end
if closed_ttl > 0 then
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, closed_ttl) end
end
return {version, now}
`,
);

/**
 * Deletes one report's metadata and index entries; when it was current, the
 * newest remaining version of its type becomes current. KEYS as SAVE's
 * (type zset, case zset, current hash, metadata); ARGV: report id, type.
 * Returns 1, or 0 when there was no such report.
 */
export const DELETE = new LuaScript(
  "report_delete",
  `
local id, report_type = ARGV[1], ARGV[2]
if redis.call('EXISTS', KEYS[4]) == 0 then return 0 end
redis.call('ZREM', KEYS[1], id)
redis.call('ZREM', KEYS[2], id)
redis.call('DEL', KEYS[4])
if redis.call('HGET', KEYS[3], report_type) == id then
  local top = redis.call('ZRANGE', KEYS[1], 0, 0)
  if top[1] then
    redis.call('HSET', KEYS[3], report_type, top[1])
    local next_key = 'report:' .. top[1] .. ':metadata'
    if redis.call('EXISTS', next_key) == 1 then redis.call('HSET', next_key, 'is_current', 'true') end
  else
    redis.call('HDEL', KEYS[3], report_type)
  end
end
return 1
`,
);

/**
 * Case-wide TTL change or delete in one step, so a save running at the same
 * time is either wholly before it or wholly after it. KEYS: case:{c}:reports,
 * case:{c}:reports:current, then the type zsets; report metadata keys are
 * derived from the case's report ids (standalone/Sentinel). ARGV[1]:
 * "expire" (ARGV[2] ms), "persist" or "delete". Returns the case's report ids
 * (empty when it has none).
 */
export const CASE_KEYS = new LuaScript(
  "report_case_keys",
  `
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
if #ids == 0 then return ids end
local keys = {}
for _, key in ipairs(KEYS) do table.insert(keys, key) end
for _, id in ipairs(ids) do table.insert(keys, 'report:' .. id .. ':metadata') end
for _, key in ipairs(keys) do
  if ARGV[1] == 'expire' then redis.call('PEXPIRE', key, ARGV[2])
  elseif ARGV[1] == 'persist' then redis.call('PERSIST', key)
  else redis.call('DEL', key) end
end
return ids
`,
);
