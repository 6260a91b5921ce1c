import { LuaScript } from "@faultmaven/redis";

/**
 * Failed-login counters (auth:login_failures:*): a hash of `failures` and
 * `locked_until` (Unix ms, Redis clock). Each script touches one key, so
 * they run on Cluster; checking the lock and counting the attempt in one
 * script is what keeps concurrent attempts from all slipping past the
 * threshold. Times come from the Redis clock (one clock for all replicas
 * of the service).
 */

/**
 * Lets one attempt through and counts it, unless locked. ARGV: threshold,
 * base delay ms, growth, max delay ms, window ms. Returns 0 when let
 * through, else the ms left on the lock (nothing changed). The attempt that
 * brings `failures` to n >= threshold locks the counter for
 * min(max, base × growth^(n − threshold)) (lockDelayMs); the counter lives
 * for the window after its last count (plus the lock).
 */
export const RESERVE_ATTEMPT = new LuaScript(
  "auth_login_attempt_reserve",
  `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local locked_until = tonumber(redis.call('HGET', KEYS[1], 'locked_until') or '0')
if locked_until > now then return locked_until - now end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local threshold = tonumber(ARGV[1])
local ttl = tonumber(ARGV[5])
if failures >= threshold then
  local delay = math.min(tonumber(ARGV[4]), tonumber(ARGV[2]) * tonumber(ARGV[3]) ^ (failures - threshold))
  delay = math.floor(delay + 0.5)
  redis.call('HSET', KEYS[1], 'locked_until', now + delay)
  ttl = ttl + delay
end
redis.call('PEXPIRE', KEYS[1], ttl)
return 0
`,
);

/**
 * Takes back one counted attempt that did not fail. ARGV[1]: threshold;
 * below it again, the lock goes too. A counter at zero is deleted.
 */
export const REFUND_ATTEMPT = new LuaScript(
  "auth_login_attempt_refund",
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', -1)
if failures <= 0 then
  redis.call('DEL', KEYS[1])
elseif failures < tonumber(ARGV[1]) then
  redis.call('HDEL', KEYS[1], 'locked_until')
end
return 1
`,
);
