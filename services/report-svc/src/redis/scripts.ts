import { LuaScript } from "@faultmaven/redis";
import { MAX_VERSIONS_PER_TYPE } from "../domain/report.js";

/**
 * The atomic report scripts, on every topology: the keys of one case share
 * a hash slot (see key-schema.ts, report-steps.ts). Every key they touch is
 * declared in KEYS; the store plans the keys it must read first to know (the
 * previous or next current report, a case's reports), and each script
 * re-checks what the plan read, answering 'stale_plan' (having written
 * nothing) when it changed.
 */

/**
 * The error SAVE answers, having written nothing, when the type is at
 * MAX_VERSIONS_PER_TYPE (an error reply, so an idempotency key never records
 * it: the refused save did nothing).
 */
export const VERSION_LIMIT = "VERSION_LIMIT";

/** True for the VERSION_LIMIT error reply. */
export function isVersionLimit(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith(VERSION_LIMIT);
}

/**
 * Saves one report's metadata atomically: the next version of (case, type)
 * is read and taken in the same script that indexes the report and makes it
 * current, so concurrent saves get unique, gapless versions and exactly one
 * current report. When the case is closed (case:{c}:closed exists) the new
 * keys get its remaining TTL; a closure older than that key is read from the
 * timeline's TTL.
 *
 * KEYS: case:{c}:reports:{type}, case:{c}:reports, case:{c}:reports:current,
 * report:{id}:metadata, case:{c}:closed, and report:{prev}:metadata of the
 * current report when there is one. ARGV: report id, type, the current report id the plan
 * read ('' for none), then field/value pairs. Returns {version, created_at, report id},
 * or the error VERSION_LIMIT (nothing written) when the case already keeps
 * MAX_VERSIONS_PER_TYPE reports of the type.
 *
 * The save commits only while its save intent (field save_intent of the
 * metadata hash, see save-intent-scripts.ts) is there and its not-after
 * time has not passed, and removes the intent in the same run: once the
 * intent has passed, reconciliation may delete the content, and no commit
 * can make that content's report visible any more. Idempotent, anchored on
 * case:{c}:reports: a retry with the same key answers the first save.
 */
export const SAVE = new LuaScript(
  "report_save",
  `
local id, report_type = ARGV[1], ARGV[2]
local previous = redis.call('HGET', KEYS[3], report_type) or ''
if previous ~= ARGV[3] then return 'stale_plan' end
if redis.call('ZCARD', KEYS[1]) >= ${MAX_VERSIONS_PER_TYPE} then return redis.error_reply('VERSION_LIMIT the type keeps its maximum of reports') end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local intent = tonumber(redis.call('HGET', KEYS[4], 'save_intent') or '0')
if intent < now then return redis.error_reply('LATE the save intent is missing or past its not-after time: nothing was saved') end
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local version = 1
if top[2] then version = 1 - tonumber(top[2]) end
local closed_ttl = redis.call('PTTL', KEYS[5])
if closed_ttl < 0 then closed_ttl = redis.call('PTTL', KEYS[2]) end
redis.call('ZADD', KEYS[1], -version, id)
redis.call('ZADD', KEYS[2], now, id)
redis.call('HSET', KEYS[3], report_type, id)
redis.call('HSET', KEYS[4], 'report_id', id, 'type', report_type, 'version', version, 'created_at', now, 'is_current', 'true')
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
redis.call('HDEL', KEYS[4], 'save_intent')
if KEYS[6] and redis.call('EXISTS', KEYS[6]) == 1 then redis.call('HSET', KEYS[6], 'is_current', 'false') end
if closed_ttl > 0 then
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], closed_ttl) end
else
  redis.call('PERSIST', KEYS[4])
end
return {version, now, id}
`,
  { idempotent: { anchor: 1 } },
);

/**
 * Deletes one report's metadata and index entries; when it was current, the
 * newest remaining version of its type becomes current. KEYS as SAVE's
 * first four, then report:{next}:metadata of the newest other version when
 * there is one. ARGV: report id, type, that next report id as the plan read
 * it ('' for none). Returns the deleted metadata hash (field/value pairs),
 * or 0 when there was no such report. Idempotent, anchored on the metadata
 * key: a retry answers what the first delete deleted.
 */
export const DELETE = new LuaScript(
  "report_delete",
  `
local id, report_type = ARGV[1], ARGV[2]
if redis.call('HEXISTS', KEYS[4], 'report_id') == 0 then return 0 end
local top = redis.call('ZRANGE', KEYS[1], 0, 1)
local next_id = top[1]
if next_id == id then next_id = top[2] end
if (next_id or '') ~= ARGV[3] then return 'stale_plan' end
local deleted = redis.call('HGETALL', KEYS[4])
redis.call('ZREM', KEYS[1], id)
redis.call('ZREM', KEYS[2], id)
redis.call('DEL', KEYS[4])
if redis.call('HGET', KEYS[3], report_type) == id then
  if next_id then
    redis.call('HSET', KEYS[3], report_type, next_id)
    if redis.call('EXISTS', KEYS[5]) == 1 then redis.call('HSET', KEYS[5], 'is_current', 'true') end
  else
    redis.call('HDEL', KEYS[3], report_type)
  end
end
return deleted
`,
  { idempotent: { anchor: 3 } },
);

/**
 * Case-wide TTL change or delete in one step, so a save running at the same
 * time is either wholly before it or wholly after it. KEYS: case:{c}:reports,
 * case:{c}:closed, case:{c}:reports:current, the type zsets, then the
 * metadata key of each report the plan read. ARGV[1]: "expire" (ARGV[2] ms),
 * "persist" or "delete"; then the case's report ids as the plan read them,
 * in timeline order. "expire" of a case with reports also writes the
 * closure (its end, with the same TTL); "persist" and "delete" remove it.
 * Returns {now, ids, was_closed}, ids empty when the case has none.
 * Idempotent, anchored on case:{c}:reports: a retry answers the first run.
 */
export const CASE_KEYS = new LuaScript(
  "report_case_keys",
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
if #ids ~= #ARGV - 2 then return 'stale_plan' end
for i, id in ipairs(ids) do
  if id ~= ARGV[i + 2] then return 'stale_plan' end
end
local was_closed = redis.call('EXISTS', KEYS[2])
if ARGV[1] ~= 'expire' then redis.call('DEL', KEYS[2]) end
if #ids == 0 then return {now, ids, was_closed} end
if ARGV[1] == 'expire' then
  local ttl = tonumber(ARGV[2])
  redis.call('SET', KEYS[2], string.format('%d', now + ttl), 'PX', ttl)
end
for i, key in ipairs(KEYS) do
  if i == 2 then
  elseif ARGV[1] == 'expire' then redis.call('PEXPIRE', key, ARGV[2])
  elseif ARGV[1] == 'persist' then redis.call('PERSIST', key)
  else redis.call('DEL', key) end
end
return {now, ids, was_closed}
`,
  { idempotent: {} },
);
