import { scanKeys } from "@faultmaven/redis";
import { RedisServer } from "@faultmaven/test-kit";

export { RedisServer };

/** Every key of `redis` that matches `pattern`. */
export async function scanKeysOf(redis: RedisServer, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of scanKeys(redis.admin, pattern)) keys.push(key);
  return keys;
}
