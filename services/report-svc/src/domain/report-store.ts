import type { NewReport, ReportRecord, ReportType } from "./report.js";

export interface ReportPage {
  readonly reports: readonly ReportRecord[];
  readonly nextOffset: number | undefined;
}

/**
 * What is known about the save of a report id (for reconciliation):
 * "saved" (metadata exists), "pending" (a live save intent: the save may
 * still commit), "failed" (its intent's time has passed without metadata:
 * it never will), "unknown" (neither: not known to have failed).
 */
export type SaveState = "saved" | "pending" | "failed" | "unknown";

/**
 * Report metadata and indexes (Redis in production, memory in development),
 * under the seed's keys. One contract suite for both.
 */
export interface ReportStore {
  /**
   * The id for a new report of `caseId` (see newReportId): the Redis store
   * starts it with the case's slot characters, so the report's keys share
   * the case's hash slot while the id alone still finds them.
   */
  newReportId(caseId: string): string;
  /**
   * The report a save with this call's idempotency key already saved into
   * the case (the first answer), or undefined: no key, or nothing recorded.
   * Throws InvalidArgumentError when the key was used for another request.
   */
  replayedSave(report: Omit<NewReport, "reportId">): Promise<ReportRecord | undefined>;
  /**
   * Records the intent to save `report`, which must commit within `windowMs`
   * (and before the call's deadline): its content may be written once this
   * returns. Until it commits the report is absent to every read.
   */
  recordIntent(report: NewReport, windowMs: number): Promise<void>;
  /**
   * Assigns version = previous + 1 for (case, type), atomically, and makes the
   * report current, only while its intent is live (removing it). With an
   * idempotency key, answers the first save made with it, which may be
   * another report (a concurrent retry's).
   */
  save(report: NewReport): Promise<ReportRecord>;
  /** Removes a save intent that no metadata followed (`passedOnly`: only once its time has passed); true when one was removed. */
  dropIntent(reportId: string, passedOnly: boolean): Promise<boolean>;
  /** What is known about each report id's save, in order. */
  saveStates(reportIds: readonly string[]): Promise<SaveState[]>;
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
