import { randomBytes } from "node:crypto";

/** Report types, as stored in Redis keys and hashes (seed names). */
export const REPORT_TYPES = ["INCIDENT_REPORT", "RCA_REPORT", "RUNBOOK", "POST_MORTEM"] as const;
export type ReportType = (typeof REPORT_TYPES)[number];
export type ReportStatus = "draft" | "final";

/**
 * Reports a case keeps of one type (its versions): a save beyond it is
 * refused (ReportLimitError) until older versions are deleted, so a case's
 * keys, and the one script that closes or deletes them all, stay bounded.
 */
export const MAX_VERSIONS_PER_TYPE = 1000;

/** Report metadata as the store keeps it. Times are Unix milliseconds. */
export interface ReportRecord {
  readonly reportId: string;
  readonly caseId: string;
  readonly type: ReportType;
  /** previous + 1 per (case, type), assigned by the store. */
  readonly version: number;
  readonly status: ReportStatus;
  readonly title: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly isCurrent: boolean;
  readonly contentLocation: string;
}

/** What a save hands the metadata store; version, time and currency are the store's. */
export interface NewReport {
  readonly reportId: string;
  readonly caseId: string;
  readonly type: ReportType;
  readonly status: ReportStatus;
  readonly title: string;
  readonly createdBy: string;
}

/** The Chroma collection that holds report content (seed). */
export const CONTENT_COLLECTION = "faultmaven_case_reports";

export const REPORT_ID_PATTERN = /^rep_[A-Za-z0-9_-]{22}$/;

/**
 * A new report id: `rep_` and 22 base64url characters, the first ones
 * `lead` (where a store places the report, see ReportStore.newReportId),
 * the rest random (at least 114 bits).
 */
export function newReportId(lead = ""): string {
  return `rep_${lead}${randomBytes(16)
    .toString("base64url")
    .slice(0, 22 - lead.length)}`;
}

export function contentLocation(reportId: string): string {
  return `chromadb://${CONTENT_COLLECTION}/${reportId}`;
}
