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

/** The stored type name of a proto type. The contract admits only defined types where one is needed. */
export function typeName(type: ReportType): TypeName {
  const name = (Object.keys(TYPES) as TypeName[]).find((n) => TYPES[n] === type);
  if (name === undefined) throw new Error(`report type ${type} has no store name`);
  return name;
}

/** The stored status of a proto status; UNSPECIFIED means draft. The contract admits only defined statuses. */
export function statusName(status: ReportStatus): StatusName {
  if (status === ReportStatus.UNSPECIFIED) return "draft";
  const name = (Object.keys(STATUSES) as StatusName[]).find((n) => STATUSES[n] === status);
  if (name === undefined) throw new Error(`report status ${status} has no store name`);
  return name;
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
