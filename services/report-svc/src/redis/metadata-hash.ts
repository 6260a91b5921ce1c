import type { ReportRecord, ReportStatus, ReportType } from "../domain/report.js";

/**
 * `report:{id}:metadata` fields (seed): report_id, case_id, type, version,
 * status, created_at (Unix ms), created_by, is_current ("true"/"false"),
 * content_location; plus title.
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
