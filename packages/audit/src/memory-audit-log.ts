import type { AuditLog, AuditPage } from "./audit-log.js";
import { compareIds } from "./audit-log.js";
import type { AuditRecord, StoredAuditRecord } from "./audit-record.js";

/**
 * The in-memory audit log of the development fallback: the newest
 * `maxLen` records, with stream-like ids ("<ms>-<seq>") so paging reads
 * the same as with Redis.
 */
export class MemoryAuditLog implements AuditLog {
  readonly #records: StoredAuditRecord[] = [];
  #lastMs = 0;
  #seq = 0;

  constructor(private readonly maxLen: number) {}

  append(record: AuditRecord): void {
    const ms = Math.max(record.time, this.#lastMs);
    this.#seq = ms === this.#lastMs ? this.#seq + 1 : 0;
    this.#lastMs = ms;
    this.#records.push({ ...record, id: `${ms}-${this.#seq}` });
    if (this.#records.length > this.maxLen) this.#records.splice(0, this.#records.length - this.maxLen);
  }

  async page(before: string | undefined, size: number): Promise<AuditPage> {
    const older = before === undefined ? this.#records : this.#records.filter((r) => compareIds(r.id, before) < 0);
    const records = older.slice(-size).reverse();
    return { records, next: older.length > size ? records.at(-1)!.id : undefined };
  }

  async close(): Promise<void> {}
}
