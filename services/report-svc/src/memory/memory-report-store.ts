import { UnavailableError } from "@faultmaven/errors";
import { ReportLimitError } from "../domain/errors.js";
import {
  contentLocation,
  MAX_VERSIONS_PER_TYPE,
  newReportId,
  REPORT_TYPES,
  type NewReport,
  type ReportRecord,
  type ReportType,
} from "../domain/report.js";
import type { ReportPage, ReportStore, SaveState } from "../domain/report-store.js";
import { MemoryIdempotency } from "./memory-idempotency.js";

/**
 * Report metadata in process memory: the development fallback when Redis is
 * not there (lost on restart). Same contract as the Redis store, closed-case
 * expiry included; a call's synchronous part never interleaves with
 * another's, which keeps versions gapless. Save intents and idempotency
 * keys behave as in Redis.
 */
export class MemoryReportStore implements ReportStore {
  readonly #reports = new Map<string, ReportRecord>();
  /** case id -> expiry time when the case is closed; kept when its reports are deleted one by one. */
  readonly #closed = new Map<string, number>();
  /** report id -> the time its save intent passes. */
  readonly #intents = new Map<string, number>();
  readonly #idempotency: MemoryIdempotency;

  constructor(private readonly clock: () => number = Date.now) {
    this.#idempotency = new MemoryIdempotency(clock);
  }

  async replayedSave(report: Omit<NewReport, "reportId">): Promise<ReportRecord | undefined> {
    return this.#idempotency.peek<ReportRecord>(caseAnchor(report.caseId))?.reply;
  }

  newReportId(): string {
    return newReportId();
  }

  async recordIntent(report: NewReport, windowMs: number): Promise<void> {
    if (!this.#reports.has(report.reportId)) this.#intents.set(report.reportId, this.clock() + windowMs);
  }

  async save(report: NewReport): Promise<ReportRecord> {
    return this.#idempotency.once(caseAnchor(report.caseId), () => this.#commit(report));
  }

  async dropIntent(reportId: string, passedOnly: boolean): Promise<boolean> {
    const notAfter = this.#intents.get(reportId);
    if (notAfter === undefined || (passedOnly && notAfter >= this.clock())) return false;
    return this.#intents.delete(reportId);
  }

  async saveStates(reportIds: readonly string[]): Promise<SaveState[]> {
    const now = this.clock();
    return reportIds.map((id) => {
      if (this.#reports.has(id)) return "saved";
      const notAfter = this.#intents.get(id);
      return notAfter === undefined ? "unknown" : notAfter < now ? "failed" : "pending";
    });
  }

  #commit(report: NewReport): ReportRecord {
    const notAfter = this.#intents.get(report.reportId);
    if (notAfter === undefined || notAfter < this.clock()) {
      throw new UnavailableError("memory store", { cause: new Error("LATE the save intent is missing or past its not-after time") });
    }
    const versions = this.#byCase(report.caseId).filter((r) => r.type === report.type);
    if (versions.length >= MAX_VERSIONS_PER_TYPE) throw new ReportLimitError(MAX_VERSIONS_PER_TYPE);
    this.#intents.delete(report.reportId);
    const version = Math.max(0, ...versions.map((r) => r.version)) + 1;
    for (const previous of versions) if (previous.isCurrent) this.#reports.set(previous.reportId, { ...previous, isCurrent: false });
    const record: ReportRecord = {
      ...report,
      version,
      createdAt: this.clock(),
      isCurrent: true,
      contentLocation: contentLocation(report.reportId),
    };
    this.#reports.set(record.reportId, record);
    return record;
  }

  async get(reportId: string): Promise<ReportRecord | undefined> {
    const report = this.#reports.get(reportId);
    return report && this.#alive(report.caseId) ? report : undefined;
  }

  async getMany(reportIds: readonly string[]): Promise<(ReportRecord | undefined)[]> {
    return Promise.all(reportIds.map((id) => this.get(id)));
  }

  async listByCase(caseId: string, offset: number, limit: number): Promise<ReportPage> {
    return page(
      this.#byCase(caseId).sort((a, b) => b.createdAt - a.createdAt),
      offset,
      limit,
    );
  }

  async listVersions(caseId: string, type: ReportType, offset: number, limit: number): Promise<ReportPage> {
    const versions = this.#byCase(caseId).filter((r) => r.type === type);
    return page(
      versions.sort((a, b) => b.version - a.version),
      offset,
      limit,
    );
  }

  async current(caseId: string, type?: ReportType): Promise<readonly ReportRecord[]> {
    const current = this.#byCase(caseId).filter((r) => r.isCurrent && (type === undefined || r.type === type));
    return current.sort((a, b) => REPORT_TYPES.indexOf(a.type) - REPORT_TYPES.indexOf(b.type));
  }

  async closeCase(caseId: string, ttlMs: number): Promise<number | undefined> {
    return this.#idempotency.once(caseAnchor(caseId), () => {
      if (this.#byCase(caseId).length === 0) return undefined;
      const expiresAt = this.clock() + ttlMs;
      this.#closed.set(caseId, expiresAt);
      return expiresAt;
    });
  }

  async reopenCase(caseId: string): Promise<boolean> {
    return this.#idempotency.once(caseAnchor(caseId), () => {
      const known = this.#byCase(caseId).length > 0 || this.#closed.has(caseId);
      this.#closed.delete(caseId);
      return known;
    });
  }

  async delete(reportId: string): Promise<ReportRecord | undefined> {
    return this.#idempotency.once(`report:${reportId}`, () => this.#delete(reportId));
  }

  #delete(reportId: string): ReportRecord | undefined {
    const report = this.#reports.get(reportId);
    if (!report || !this.#alive(report.caseId)) return undefined;
    this.#reports.delete(reportId);
    if (report.isCurrent) {
      const [newest] = this.#byCase(report.caseId)
        .filter((r) => r.type === report.type)
        .sort((a, b) => b.version - a.version);
      if (newest) this.#reports.set(newest.reportId, { ...newest, isCurrent: true });
    }
    return report;
  }

  async deleteCase(caseId: string): Promise<readonly string[]> {
    return this.#idempotency.once(caseAnchor(caseId), () => {
      const ids = this.#byCase(caseId).map((r) => r.reportId);
      for (const id of ids) this.#reports.delete(id);
      this.#closed.delete(caseId);
      return ids;
    });
  }

  async close(): Promise<void> {}

  #byCase(caseId: string): ReportRecord[] {
    if (!this.#alive(caseId)) return [];
    return [...this.#reports.values()].filter((r) => r.caseId === caseId);
  }

  /** False (and forgotten) once a closed case's TTL has passed. */
  #alive(caseId: string): boolean {
    const expiresAt = this.#closed.get(caseId);
    if (expiresAt === undefined || expiresAt > this.clock()) return true;
    for (const [id, report] of this.#reports) if (report.caseId === caseId) this.#reports.delete(id);
    this.#closed.delete(caseId);
    return false;
  }
}

function page(all: ReportRecord[], offset: number, limit: number): ReportPage {
  return { reports: all.slice(offset, offset + limit), nextOffset: all.length > offset + limit ? offset + limit : undefined };
}

function caseAnchor(caseId: string): string {
  return `case:${caseId}`;
}
