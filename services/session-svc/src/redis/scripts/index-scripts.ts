import { LuaScript } from "@faultmaven/redis";

/**
 * Single-key scripts on the session indexes, used at create time and, when
 * a session script ran on the session key alone, to renew or remove them
 * after it.
 */

/**
 * CreateSession's idempotent step on Redis Cluster (anchored at the client
 * index, like CREATE_OR_RESUME): claims the client index for session
 * ARGV[2] if it still holds ARGV[1] ('' for none), with a TTL of ARGV[3] ms,
 * and answers {'created', ARGV[4] (creation time), ttl, session id}; with
 * ARGV[4] empty it only confirms a resume of ARGV[2] = ARGV[1] (the index
 * is renewed with the session) and answers {'resumed', session id}. When
 * the index holds something else it answers 'stale_plan' (nothing written,
 * nothing recorded). The replies have the shape of CREATE_OR_RESUME's.
 */
export const CLIENT_INDEX_CLAIM = new LuaScript(
  "client_index_claim",
  `
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 'stale_plan' end
if ARGV[4] == '' then return {'resumed', ARGV[2]} end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return {'created', tonumber(ARGV[4]), tonumber(ARGV[3]), ARGV[2]}
`,
  { idempotent: {} },
);

/** Renews the client index TTL (ARGV[2] ms), or deletes it when ARGV[2] is 0, if it points at ARGV[1]. */
export const INDEX_RENEW_OR_DELETE = new LuaScript(
  "client_index_renew_or_delete",
  `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then return redis.call('DEL', KEYS[1]) end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
`,
);

/**
 * Adds session ARGV[2] with score ARGV[1] or, with an empty score, just
 * renews the user index while it lists ARGV[2]: its TTL only ever grows to
 * ARGV[3] ms, and it keeps the newest ARGV[4] entries.
 */
export const USER_INDEX_ADD_OR_RENEW = new LuaScript(
  "user_index_add_or_renew",
  `
if ARGV[1] ~= '' then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -1 - tonumber(ARGV[4]))
end
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1
`,
);
