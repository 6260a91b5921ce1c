import { type KeySchema, type RedisClient, scanKeys } from "@faultmaven/redis";
import { classifyKey } from "./classify-key.js";

export interface AuditReport {
  readonly scanned: number;
  /** Key count per known pattern. */
  readonly known: Record<string, number>;
  readonly deprecated: string[];
  /** Keys outside the schema (first `maxListed`). */
  readonly unknown: string[];
  readonly unknownCount: number;
  /** Deprecated keys deleted (only with deleteDeprecated). */
  readonly deleted: number;
}

/**
 * Walks the whole keyspace with SCAN (every master on Cluster) and sorts
 * each key into the services' schemas: known patterns, the seed's
 * deprecated case keys, or unknown. Deletes (UNLINK) the deprecated keys
 * only when asked.
 */
export async function auditKeyspace(
  client: RedisClient,
  options: { schemas: readonly KeySchema[]; deleteDeprecated: boolean; maxListed?: number },
): Promise<AuditReport> {
  const maxListed = options.maxListed ?? 100;
  const known: Record<string, number> = {};
  const deprecated: string[] = [];
  const unknown: string[] = [];
  let scanned = 0;
  let unknownCount = 0;
  for await (const key of scanKeys(client)) {
    scanned++;
    const found = classifyKey(key, options.schemas);
    if (found.kind === "known") known[found.name] = (known[found.name] ?? 0) + 1;
    else if (found.kind === "deprecated") deprecated.push(key);
    else if (++unknownCount <= maxListed) unknown.push(key);
  }
  let deleted = 0;
  if (options.deleteDeprecated) {
    for (const key of deprecated) deleted += await client.unlink(key);
  }
  return { scanned, known, deprecated, unknown, unknownCount, deleted };
}
