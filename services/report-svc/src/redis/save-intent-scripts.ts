import { LuaScript } from "@faultmaven/redis";

/**
 * Save intents: before a save writes its content to Chroma it records, in
 * the report's own metadata hash, the time after which the save can no
 * longer commit (field save_intent, Redis clock, Unix ms). The hash then
 * has no report_id, so every read treats the report as absent. The commit
 * (SAVE, COMMIT_METADATA) requires a live intent and removes it in the same
 * run. So content whose intent has passed without metadata belongs to a save
 * that failed and never will succeed: reconciliation may delete it. Content
 * with neither intent nor metadata is not known to have failed, and is kept.
 */

/**
 * Records a save intent on report:{id}:metadata. ARGV: how long the save may
 * take to commit (ms), the intent's TTL (ms), case id, type. Returns the
 * intent's not-after time, or 0 (nothing written) for a report that is
 * already saved (never for a new id; a guard, so no intent lands on a report).
 * A live intent is never shortened.
 */
export const RECORD_INTENT = new LuaScript(
  "report_record_intent",
  `
if redis.call('HEXISTS', KEYS[1], 'report_id') == 1 then return 0 end
local t = redis.call('TIME')
local not_after = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[1])
local held = tonumber(redis.call('HGET', KEYS[1], 'save_intent') or '0')
if held > not_after then not_after = held end
redis.call('HSET', KEYS[1], 'save_intent', string.format('%d', not_after), 'case_id', ARGV[3], 'type', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return not_after
`,
);

/**
 * Removes the save intent of report:{id}:metadata when no metadata was
 * committed there; with ARGV[1] = 'passed', only once its not-after time has
 * passed (reconciliation). Returns 1 when it removed one.
 */
export const DROP_INTENT = new LuaScript(
  "report_drop_intent",
  `
if redis.call('HEXISTS', KEYS[1], 'report_id') == 1 then return 0 end
local intent = redis.call('HGET', KEYS[1], 'save_intent')
if not intent then return 0 end
if ARGV[1] == 'passed' then
  local t = redis.call('TIME')
  if tonumber(intent) >= tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) then return 0 end
end
redis.call('DEL', KEYS[1])
return 1
`,
);
