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
 * 'version_limit' (nothing written) when the type already has
 * MAX_VERSIONS_PER_TYPE reports.
 */
export const RESERVE_VERSION = new LuaScript(
  "report_reserve_version",
  `
if redis.call('ZCARD', KEYS[1]) >= ${MAX_VERSIONS_PER_TYPE} then return 'version_limit' end
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local version = 1
if top[2] then version = 1 - tonumber(top[2]) end
redis.call('ZADD', KEYS[1], -version, ARGV[1])
local t = redis.call('TIME')
return {version, tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)}
`,
);

/**
 * Points `case:{c}:reports:current` at ARGV[2] (version ARGV[3]) for type
 * ARGV[1], only if that is newer than what it points at (the version is kept
 * beside it as field "<type>:version"). Returns the replaced report id ("" if
 * none), or false when a newer report is already current.
 */
export const ADVANCE_CURRENT = new LuaScript(
  "report_advance_current",
  `
local version_field = ARGV[1] .. ':version'
local held = tonumber(redis.call('HGET', KEYS[1], version_field) or '0')
if held >= tonumber(ARGV[3]) then return false end
local previous = redis.call('HGET', KEYS[1], ARGV[1]) or ''
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], version_field, ARGV[3])
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
  redis.call('HDEL', KEYS[1], ARGV[1], ARGV[1] .. ':version')
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3], ARGV[1] .. ':version', ARGV[4])
end
return 1
`,
);

/** Sets is_current (ARGV[1]) on a metadata hash only if it exists. */
export const SET_CURRENT_FLAG = new LuaScript(
  "report_set_current_flag",
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'is_current', ARGV[1])
return 1
`,
);
