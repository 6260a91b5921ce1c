import type { Redis } from "ioredis";

/** How many records each memory figure is averaged over: shared index keys are amortized across them. */
export const RECORDS = 15;

/**
 * Redis memory one record costs: MEMORY USAGE (SAMPLES 0: every element
 * counted) summed over all keys before and after `create` makes RECORDS
 * records, divided by RECORDS. New keys and growth of shared keys (indexes,
 * lists) both count, so nothing else may write to Redis meanwhile.
 * Left out: idempotency records (`…idem:{…}`: the kit's client sends a key
 * with every write; they expire after the retry window) and the audit streams
 * (`<ns>audit`: one capped log per service, bounded as a whole, not per record).
 */
export async function bytesPerRecord(admin: Redis, create: (i: number) => Promise<unknown>): Promise<number> {
  const before = await totalUsage(admin);
  for (let i = 0; i < RECORDS; i++) await create(i);
  return Math.round(((await totalUsage(admin)) - before) / RECORDS);
}

async function totalUsage(admin: Redis): Promise<number> {
  let total = 0;
  let cursor = "0";
  do {
    const [next, keys] = await admin.scan(cursor, "COUNT", 1000);
    cursor = next;
    for (const key of keys.filter((k) => !k.includes("idem:{") && !k.endsWith(":audit")))
      total += Number((await admin.call("MEMORY", "USAGE", key, "SAMPLES", "0")) ?? 0);
  } while (cursor !== "0");
  return total;
}
