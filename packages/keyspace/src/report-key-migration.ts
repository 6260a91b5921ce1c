import { type RedisClient, scanKeys, SLOT_TAG_LENGTH, slotTagOf } from "@faultmaven/redis";

/**
 * report-svc's keys before they carried Cluster hash tags (`case:{c}:reports`
 * and `report:{id}:metadata` with no braces): a case's keys then sat in
 * different slots. Its idempotency records (15 min) are not carried over.
 */
const LEGACY_CASE_KEY = /^case:([A-Za-z0-9_.@+-]{1,128}):(reports|reports:[A-Z_]+|reports:current|closed)$/;
const LEGACY_METADATA_KEY = /^report:(rep_[A-Za-z0-9_-]{22}):metadata$/;

export interface ReportKeyMigration {
  /** Legacy keys found. */
  readonly found: number;
  /** Legacy keys renamed (0 in a dry run). */
  readonly moved: number;
  /**
   * Cases left under their legacy names (Redis Cluster only): a report id of
   * theirs does not carry the case's slot, so its metadata could not share
   * the case's slot and no script could span the case.
   */
  readonly leftCases: string[];
  /** Legacy keys whose new name already holds something else: both are left for an operator to look at. */
  readonly conflicts: string[];
}

/** The new name of a legacy report-svc key (the rule of services/report-svc/src/redis/key-schema.ts). */
export function migratedReportKey(key: string): string | undefined {
  const caseKey = LEGACY_CASE_KEY.exec(key);
  if (caseKey) return `case:{${caseKey[1]}}:${caseKey[2]}`;
  const metadata = LEGACY_METADATA_KEY.exec(key);
  if (metadata) return `report:{${metadata[1]!.slice(4, 4 + SLOT_TAG_LENGTH)}}:${metadata[1]}:metadata`;
  return undefined;
}

/**
 * Renames report-svc's legacy keys to their hash-tagged names, once, with
 * report-svc stopped: DUMP and PTTL at one instant (MULTI), RESTORE under the
 * new name with the remaining TTL, never over an existing key, then DEL of
 * the legacy key. A run that stopped midway is finished by running it again
 * (a new name holding the same value only loses its legacy copy); a new name
 * holding anything else is a conflict, listed, and both keys are left.
 * A dry run (`apply` false) only counts. On Cluster a case moves only when
 * every report id in its timeline carries the case's slot (ids made before
 * this version do so by chance only): the others are listed and left.
 */
export async function migrateReportKeys(client: RedisClient, options: { apply: boolean; cluster: boolean }): Promise<ReportKeyMigration> {
  const legacy: string[] = [];
  for await (const key of scanKeys(client)) if (migratedReportKey(key) !== undefined) legacy.push(key);
  const leftCases = options.cluster ? await casesOutOfSlot(client, legacy) : new Set<string>();
  let moved = 0;
  const conflicts: string[] = [];
  for (const key of legacy) {
    const caseId = LEGACY_CASE_KEY.exec(key)?.[1] ?? (await caseOfMetadata(client, key));
    if (caseId !== undefined && leftCases.has(caseId)) continue;
    if (!options.apply) continue;
    const outcome = await move(client, key, migratedReportKey(key)!);
    if (outcome === "moved") moved++;
    if (outcome === "conflict") conflicts.push(key);
  }
  return { found: legacy.length, moved, leftCases: [...leftCases].sort(), conflicts };
}

async function move(client: RedisClient, from: string, to: string): Promise<"moved" | "gone" | "conflict"> {
  // One instant: a key that expires between a DUMP and a PTTL read apart would come back with no TTL.
  const [dump, ttl] = await valueAndTtl(client, from);
  if (dump === null || ttl === -2) return "gone"; // expired meanwhile
  try {
    await client.restore(to, Math.max(ttl, 0), dump); // -1 (no TTL): restored with none
  } catch (error) {
    if (!String((error as Error).message).startsWith("BUSYKEY")) throw error;
    const [there] = await valueAndTtl(client, to);
    // A run that stopped between its RESTORE and its DEL left the same value under the new name.
    if (there === null || !there.equals(dump)) return "conflict";
  }
  await client.del(from);
  return "moved";
}

async function valueAndTtl(client: RedisClient, key: string): Promise<[Buffer | null, number]> {
  const replies = await client.multi().dumpBuffer(key).pttl(key).exec();
  if (replies === null) throw new Error(`the MULTI reading ${key} was aborted`);
  for (const [error] of replies) if (error) throw error;
  return [replies[0]![1] as Buffer | null, replies[1]![1] as number];
}

/** The case a legacy metadata hash belongs to (a report's or a save intent's `case_id`). */
async function caseOfMetadata(client: RedisClient, key: string): Promise<string | undefined> {
  return (await client.hget(key, "case_id")) ?? undefined;
}

/** True when a report id's slot characters hash to the case's slot (same slot, same canonical tag). */
function inCaseSlot(reportId: string, caseId: string): boolean {
  return slotTagOf(reportId.slice(4, 4 + SLOT_TAG_LENGTH)) === slotTagOf(caseId);
}

/** Cases with a report id whose slot characters are not in the case's slot. */
async function casesOutOfSlot(client: RedisClient, legacy: readonly string[]): Promise<Set<string>> {
  const left = new Set<string>();
  for (const key of legacy) {
    const [, caseId, suffix] = LEGACY_CASE_KEY.exec(key) ?? [];
    if (caseId === undefined || suffix !== "reports") continue;
    const ids = await client.zrange(key, "0", "-1");
    if (ids.some((id) => !inCaseSlot(id, caseId))) left.add(caseId);
  }
  for (const key of legacy) {
    const id = LEGACY_METADATA_KEY.exec(key)?.[1];
    const caseId = id === undefined ? undefined : await caseOfMetadata(client, key);
    if (id !== undefined && caseId !== undefined && !inCaseSlot(id, caseId)) left.add(caseId);
  }
  return left;
}
