import type { AuditRecord, StoredAuditRecord } from "./audit-record.js";

/** One page of records, newest first, and the cursor of the next (older) page. */
export interface AuditPage {
  readonly records: readonly StoredAuditRecord[];
  /** The id of the page's oldest record when older ones exist, else undefined. */
  readonly next: string | undefined;
}

/** Where records are kept: a capped Redis stream, or a capped array in memory (development). */
export interface AuditLog {
  /** Takes the record and returns at once: the append must never fail or hold up the call that made it. */
  append(record: AuditRecord): void;
  /** Up to `size` records older than the record `before` (the newest when undefined), newest first. */
  page(before: string | undefined, size: number): Promise<AuditPage>;
  /** Writes what is still queued (bounded in time), then stops. */
  close(): Promise<void>;
}

/** Stream ids ("<ms>-<seq>") in order. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split("-").map(BigInt) as [bigint, bigint];
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}
