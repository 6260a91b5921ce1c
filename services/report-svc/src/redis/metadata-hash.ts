import type { ReportRecord, ReportStatus, ReportType } from "../domain/report.js";

/**
 * `report:{id}:metadata` fields (seed): report_id, case_id, type, version,
 * status, created_at (Unix ms), created_by, is_current ("true"/"false"),
 * content_location; plus title. A hash without report_id is a save intent
 * (field save_intent), not a report.
 */
export function parseMetadata(hash: Record<string, string>): ReportRecord | undefined {
  if (!hash.report_id) return undefined;
  return {
    reportId: hash.report_id,
    caseId: hash.case_id ?? "",
    type: hash.type as ReportType,
    version: Number(hash.version),
    status: (hash.status ?? "draft") as ReportStatus,
    title: hash.title ?? "",
    createdAt: Number(hash.created_at),
    createdBy: hash.created_by ?? "",
    isCurrent: hash.is_current === "true",
    contentLocation: hash.content_location ?? "",
  };
}

/** The metadata hash of a report as field/value pairs, as HGETALL answers it (parseMetadata's inverse). */
export function metadataPairs(report: ReportRecord): string[] {
  return Object.entries({
    report_id: report.reportId,
    case_id: report.caseId,
    type: report.type,
    version: String(report.version),
    status: report.status,
    title: report.title,
    created_at: String(report.createdAt),
    created_by: report.createdBy,
    is_current: String(report.isCurrent),
    content_location: report.contentLocation,
  }).flat();
}
