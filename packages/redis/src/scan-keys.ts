import { Cluster } from "ioredis";
import type { RedisClient } from "./client.js";

/**
 * Every key matching `match` (all keys when omitted), walked with SCAN on
 * the server, or on every master of a Cluster (each master holds its own
 * slots). Never KEYS: background work and tools only, never a request path.
 */
export async function* scanKeys(client: RedisClient, match?: string): AsyncGenerator<string> {
  const nodes = client instanceof Cluster ? client.nodes("master") : [client];
  for (const node of nodes) {
    let cursor = "0";
    do {
      const [next, keys] =
        match === undefined ? await node.scan(cursor, "COUNT", 1000) : await node.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      yield* keys;
    } while (cursor !== "0");
  }
}
