import { keyPart } from "@faultmaven/redis";
import { REPORT_ID_PATTERN, type ReportType } from "../domain/report.js";

const caseRule = { maxLength: 128 };

/**
 * The report-svc key schema (DESIGN.md §2), from validated parts. The
 * deprecated `case:{case_id}`, `user:{user_id}:cases` and `case_index` are
 * never written.
 *
 *   case:{case_id}:reports           ZSet  report ids, score = creation time (Unix ms)
 *   case:{case_id}:reports:{type}    ZSet  report ids, score = -version
 *   case:{case_id}:reports:current   Hash  type -> current report id
 *   report:{report_id}:metadata      Hash  report metadata
 *
 * No TTL while the case is open; 90 days on all of them once it is closed.
 */
export const reportKeys = {
  caseReports: (caseId: string) => `case:${keyPart("case_id", caseId, caseRule)}:reports`,
  caseType: (caseId: string, type: ReportType) => `case:${keyPart("case_id", caseId, caseRule)}:reports:${type}`,
  caseCurrent: (caseId: string) => `case:${keyPart("case_id", caseId, caseRule)}:reports:current`,
  metadata: (reportId: string) =>
    `report:${keyPart("report_id", reportId, { pattern: REPORT_ID_PATTERN, patternDescription: "a report id (rep_...)" })}:metadata`,
};
