import { LuaScript } from "@faultmaven/redis";
import { MAX_VERSIONS_PER_TYPE } from "../domain/report.js";

/**
 * Single-key scripts for Redis Cluster, where a case's report keys live in
 * different slots and no script may span them (the split form of the
 * report steps, see cluster-report-writes.ts).
 */

/**
 * Takes the next version of (case, type) on `case:{c}:reports:{type}`:
 * newest + 1, indexed at once, so concurrent saves get unique, gapless
 * versions. ARGV: report id. Returns {version, now}: the report's
 * created_at comes from the Redis clock, like every stored timestamp; or
 * the error VERSION_LIMIT (nothing written) when the type already has
 * MAX_VERSIONS_PER_TYPE reports. A report id already indexed (a resumed
 * save) keeps the version it took.
 */
export const RESERVE_VERSION = new LuaScript(
  "report_reserve_version",
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local taken = redis.call('ZSCORE', KEYS[1], ARGV[1])
if taken then return {-tonumber(taken), now} end
if redis.call('ZCARD', KEYS[1]) >= ${MAX_VERSIONS_PER_TYPE} then return redis.error_reply('VERSION_LIMIT the type keeps its maximum of reports') end
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local version = 1
if top[2] then version = 1 - tonumber(top[2]) end
redis.call('ZADD', KEYS[1], -version, ARGV[1])
return {version, now}
`,
);

/**
 * Points `case:{c}:reports:current` at ARGV[2] (version ARGV[3]) for type
 * ARGV[1], only if that is newer than what it points at (the version is kept
 * beside it as field "<type>:version", the id it replaced as
 * "<type>:previous"). Returns the replaced report id ("" if none), or false
 * when a newer report is already current. Re-run for the report it already
 * points at (a resumed save), answers the same replaced id again.
 */
export const ADVANCE_CURRENT = new LuaScript(
  "report_advance_current",
  `
local version_field = ARGV[1] .. ':version'
local previous_field = ARGV[1] .. ':previous'
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HGET', KEYS[1], previous_field) or '' end
local held = tonumber(redis.call('HGET', KEYS[1], version_field) or '0')
if held >= tonumber(ARGV[3]) then return false end
local previous = redis.call('HGET', KEYS[1], ARGV[1]) or ''
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], version_field, ARGV[3], previous_field, previous)
return previous
`,
);

/**
 * After a delete: if `current` still points at ARGV[2] for type ARGV[1],
 * points it at ARGV[3] (version ARGV[4]) or, with an empty ARGV[3], drops
 * the type. Returns 1 when it changed the pointer.
 */
export const RETREAT_CURRENT = new LuaScript(
  "report_retreat_current",
  `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1], ARGV[1] .. ':version', ARGV[1] .. ':previous')
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3], ARGV[1] .. ':version', ARGV[4], ARGV[1] .. ':previous', '')
end
return 1
`,
);

/** Sets is_current (ARGV[1]) on a metadata hash only if it holds a saved report (not a bare save intent). */
export const SET_CURRENT_FLAG = new LuaScript(
  "report_set_current_flag",
  `
if redis.call('HEXISTS', KEYS[1], 'report_id') == 0 then return 0 end
redis.call('HSET', KEYS[1], 'is_current', ARGV[1])
return 1
`,
);

/**
 * Commits a report's metadata on report:{id}:metadata, the moment the
 * report becomes visible: only while its save intent is live (as SAVE),
 * removing it. ARGV: the closure TTL (ms, <= 0 when open), then field/value
 * pairs. Returns the committed {version, created_at, resumed}: a report
 * committed already (a resumed save, resumed = 1) is left as it is and
 * answers its own.
 */
export const COMMIT_METADATA = new LuaScript(
  "report_commit_metadata",
  `
if redis.call('HEXISTS', KEYS[1], 'report_id') == 1 then
  -- A resumed save: the case may have been closed or reopened since, so its TTL follows the case now.
  if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) else redis.call('PERSIST', KEYS[1]) end
  return {tonumber(redis.call('HGET', KEYS[1], 'version')), tonumber(redis.call('HGET', KEYS[1], 'created_at')), 1}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local intent = tonumber(redis.call('HGET', KEYS[1], 'save_intent') or '0')
if intent < now then return redis.error_reply('LATE the save intent is missing or past its not-after time: nothing was saved') end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('HDEL', KEYS[1], 'save_intent')
if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) else redis.call('PERSIST', KEYS[1]) end
return {tonumber(redis.call('HGET', KEYS[1], 'version')), tonumber(redis.call('HGET', KEYS[1], 'created_at')), 0}
`,
);

/** ZADD KEYS[1] score ARGV[1] member ARGV[2]; with ARGV[3] > 0, PEXPIRE it to that. Bounded like every script. */
export const INDEX_MEMBER = new LuaScript(
  "report_index_member",
  `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
`,
);

/** ZREM KEYS[1] ARGV[1]. */
export const REMOVE_MEMBER = new LuaScript("report_remove_member", "return redis.call('ZREM', KEYS[1], ARGV[1])");

/**
 * Deletes a saved report's metadata hash, answering it (field/value pairs),
 * or 0 when none was there. DeleteReport's last step on Cluster, so it
 * records the call's reply under its idempotency key (anchor: the metadata
 * key) atomically with the delete: a retry after a lost reply answers it.
 */
export const DELETE_METADATA = new LuaScript(
  "report_delete_metadata",
  `
if redis.call('HEXISTS', KEYS[1], 'report_id') == 0 then return 0 end
local deleted = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
return deleted
`,
  { idempotent: {} },
);

/**
 * One key of a case-wide step: ARGV[1] "expire" (PEXPIRE to ARGV[2] ms),
 * "persist", "delete", or "close" (SET the closure's end ARGV[3] with PX
 * ARGV[2]). Returns the command's reply.
 */
export const CASE_KEY_ACTION = new LuaScript(
  "report_case_key_action",
  `
if ARGV[1] == 'expire' then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if ARGV[1] == 'persist' then return redis.call('PERSIST', KEYS[1]) end
if ARGV[1] == 'delete' then return redis.call('DEL', KEYS[1]) end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
return 1
`,
);
