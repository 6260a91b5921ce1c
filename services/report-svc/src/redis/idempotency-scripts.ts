import { LuaScript } from "@faultmaven/redis";

/**
 * Reads the reply recorded under a call's idempotency key (KEYS[1], the
 * record) without acting: nil when there is none, IDEMPOTENCY_KEY_REUSED
 * when it was recorded for another request (ARGV[1] is this request's
 * fingerprint). Lets a multi-step call answer a retry before redoing any
 * step (SaveReport must not write its content twice).
 */
export const PEEK_RECORD = new LuaScript(
  "report_peek_record",
  `
local prior = redis.call('GET', KEYS[1])
if not prior then return false end
if string.sub(prior, 1, 64) ~= ARGV[1] then
  return redis.error_reply('IDEMPOTENCY_KEY_REUSED the idempotency key was used with a different request')
end
return cmsgpack.unpack(string.sub(prior, 65))
`,
  { readOnly: true },
);

/**
 * Records ARGV[1] (a JSON array) as the reply of the call's idempotency key,
 * anchored on KEYS[1], unless a reply is already recorded there: answers
 * the recorded one. The last step of the multi-step writes on Redis Cluster,
 * where no script may span the keys of one call.
 */
export const RECORD_REPLY = new LuaScript("report_record_reply", "return cjson.decode(ARGV[1])", { idempotent: {} });

/**
 * Reserves ARGV[1] as the report id of a keyed SaveReport on Redis Cluster,
 * anchored on `case:{c}:reports:current`: every attempt with that key answers
 * the first attempt's id, so a retry resumes that save (each step is
 * re-runnable for one id) instead of saving a second report.
 */
export const RESERVE_REPORT_ID = new LuaScript("report_reserve_id", "return ARGV[1]", { idempotent: {} });
