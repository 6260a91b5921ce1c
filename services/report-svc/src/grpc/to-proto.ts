import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { ReportStatus, ReportType, type ReportSchema } from "@faultmaven/contract/report";
import type { ReportRecord, ReportStatus as StatusName, ReportType as TypeName } from "../domain/report.js";

const TYPES: Record<TypeName, ReportType> = {
  INCIDENT_REPORT: ReportType.INCIDENT_REPORT,
  RCA_REPORT: ReportType.RCA_REPORT,
  RUNBOOK: ReportType.RUNBOOK,
  POST_MORTEM: ReportType.POST_MORTEM,
};
const STATUSES: Record<StatusName, ReportStatus> = { draft: ReportStatus.DRAFT, final: ReportStatus.FINAL };

/** The stored type name of a proto type; undefined for UNSPECIFIED or unknown values. */
export function typeName(type: ReportType): TypeName | undefined {
  return (Object.keys(TYPES) as TypeName[]).find((name) => TYPES[name] === type);
}

/** The stored status of a proto status; UNSPECIFIED means draft. */
export function statusName(status: ReportStatus): StatusName | undefined {
  if (status === ReportStatus.UNSPECIFIED) return "draft";
  return (Object.keys(STATUSES) as StatusName[]).find((name) => STATUSES[name] === status);
}

export function reportToProto(report: ReportRecord, content?: string): MessageInitShape<typeof ReportSchema> {
  return {
    reportId: report.reportId,
    caseId: report.caseId,
    type: TYPES[report.type],
    version: report.version,
    status: STATUSES[report.status],
    createdAt: timestampFromMs(report.createdAt),
    createdBy: report.createdBy,
    isCurrent: report.isCurrent,
    contentLocation: report.contentLocation,
    content: content ?? "",
    title: report.title,
  };
}
