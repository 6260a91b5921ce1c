import type { Redis } from "ioredis";

/**
 * Every key of the server and everything it holds, as text: string values,
 * hash fields and values, list, set and sorted-set members (with scores),
 * stream entries (ids, fields and values). For scans that assert a secret
 * is nowhere in Redis. SCAN, so tests only.
 */
export async function dumpRedis(admin: Redis): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(cursor, "COUNT", 500);
    cursor = next;
    for (const key of keys) dump.set(key, (await readKey(admin, key)).join("\n"));
  } while (cursor !== "0");
  return dump;
}

async function readKey(admin: Redis, key: string): Promise<string[]> {
  const type = await admin.type(key);
  switch (type) {
    case "string":
      return [(await admin.get(key)) ?? ""];
    case "hash":
      return Object.entries(await admin.hgetall(key)).flat();
    case "list":
      return admin.lrange(key, 0, -1);
    case "set":
      return admin.smembers(key);
    case "zset":
      return admin.zrange(key, "0", "-1", "WITHSCORES");
    case "stream":
      return (await admin.xrange(key, "-", "+")).flatMap(([id, fields]) => [id, ...fields]);
    case "none":
      // Expired or deleted between SCAN and TYPE.
      return [];
    default:
      throw new Error(`dumpRedis: key ${key} has type ${type}, which it cannot read`);
  }
}
