import { LuaScript, type LuaScriptOptions } from "@faultmaven/redis";
import { PRELUDE } from "./prelude.js";

/**
 * CreateSession on standalone Redis and Sentinel, ONE atomic script: it
 * resumes the session the client index names or creates a new one, claims
 * the index and lists it in the user index, so no deadline or crash can
 * leave a session that no index reaches.
 *
 * KEYS: the new session (`session:{new id}`), the client index, the user
 * index, and the session the plan read from the client index when it named
 * one, with its message list. ARGV: idle TTL ms, absolute lifetime ms (0: none), the session id the
 * plan read ('' for none), the user index limit, the new session id, user
 * id, client id, case id, then context key/value pairs.
 *
 * Answers 'stale_plan' (having written nothing) when the client index no
 * longer holds what the plan read; {'resumed', session id, HGETALL, stored messages} when
 * the named session is live and of the same user and client (its TTL slid,
 * both indexes renewed, a `touch` event published: this script runs only
 * where PUBLISH is the publish command); else {'created', now, ttl,
 * session id}.
 */
export const CREATE_OR_RESUME = createOrResume(
  "session_create_or_resume",
  "{'resumed', id, redis.call('HGETALL', key), redis.call('LRANGE', msgs, 0, -1)}",
);

/**
 * The same for a call with an idempotency key, and its idempotent step
 * (anchored at the client index, which is stable across retries, unlike
 * the new session id): a retry gets the recorded reply, naming the same
 * session. A resume answers {'resumed', session id} without the session's
 * fields (the store reads them), so the record keeps no copy of a session.
 */
export const CREATE_OR_RESUME_RECORDED = createOrResume("session_create_or_resume_recorded", "{'resumed', id}", {
  idempotent: { anchor: 1 },
});

function createOrResume(name: string, resumedReply: string, options?: LuaScriptOptions): LuaScript {
  return new LuaScript(
    name,
    PRELUDE +
      `local function resumed(key, msgs, id) return ${resumedReply} end\n` +
      `
local indexed = redis.call('GET', KEYS[2]) or ''
if indexed ~= ARGV[3] then return 'stale_plan' end
local now = now_ms()
local idle, cap_ms = tonumber(ARGV[1]), tonumber(ARGV[2])
if KEYS[4] then
  local f = redis.call('HMGET', KEYS[4], 'user_id', 'client_id')
  if f[1] == ARGV[6] and f[2] == ARGV[7] then
    local ttl = slide(KEYS[4], KEYS[5], now, idle)
    if ttl then
      renew_indexes_of(indexed, KEYS[2], KEYS[3], ttl)
      publish('PUBLISH', KEYS[4], version_of(KEYS[4]), 'touch', now, ttl)
      return resumed(KEYS[4], KEYS[5], indexed)
    end
  end
end
local ttl = write_new_session(KEYS[1], now, idle, cap_ms, ARGV[6], ARGV[7], ARGV[8], 9)
redis.call('SET', KEYS[2], ARGV[5], 'PX', ttl)
redis.call('ZADD', KEYS[3], now, ARGV[5])
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -1 - tonumber(ARGV[4]))
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
return {'created', now, ttl, ARGV[5]}
`,
    options,
  );
}
