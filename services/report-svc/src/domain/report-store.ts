import type { NewReport, ReportRecord, ReportType } from "./report.js";

export interface ReportPage {
  readonly reports: readonly ReportRecord[];
  readonly nextOffset: number | undefined;
}

/**
 * Report metadata and indexes (Redis in production, memory in development),
 * under the seed's keys. One contract suite for both.
 */
export interface ReportStore {
  /** Assigns version = previous + 1 for (case, type), atomically, and makes the report current. */
  save(report: NewReport): Promise<ReportRecord>;
  get(reportId: string): Promise<ReportRecord | undefined>;
  /** Metadata of many reports, in order; undefined where there is none. */
  getMany(reportIds: readonly string[]): Promise<(ReportRecord | undefined)[]>;
  /** A case's reports, newest first. */
  listByCase(caseId: string, offset: number, limit: number): Promise<ReportPage>;
  /** The versions of one type, newest first. */
  listVersions(caseId: string, type: ReportType, offset: number, limit: number): Promise<ReportPage>;
  /** The current report of each type (or of `type` only). */
  current(caseId: string, type?: ReportType): Promise<readonly ReportRecord[]>;
  /**
   * Records the case closed and puts a TTL on every report key of the case;
   * its expiry, or undefined (nothing written) when the case has no reports.
   * The closure outlives the reports: reports saved later, even after all
   * were deleted one by one, expire with it.
   */
  closeCase(caseId: string, ttlMs: number): Promise<number | undefined>;
  /** Forgets the closure and removes that TTL; false when the case has no reports and is not closed. */
  reopenCase(caseId: string): Promise<boolean>;
  /** Deletes one report's metadata (the newest remaining version becomes current); returns what was deleted. */
  delete(reportId: string): Promise<ReportRecord | undefined>;
  /** Deletes all of a case's report metadata and its closure (the case is forgotten); returns the deleted ids. */
  deleteCase(caseId: string): Promise<readonly string[]>;
  close(): Promise<void>;
}
