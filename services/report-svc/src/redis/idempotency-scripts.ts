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
