import type { ReportStatus, ReportType } from "@faultmaven/contract/report";
import { InvalidArgumentError } from "@faultmaven/errors";
import { keyPart } from "@faultmaven/redis";
import { REPORT_ID_PATTERN, type ReportType as TypeName } from "../domain/report.js";
import { statusName, typeName } from "./to-proto.js";

export const LIMITS = { contentLength: 200_000, titleLength: 200, queryLength: 2000, defaultLimit: 10, maxLimit: 50 } as const;

/** Request-field validators; each throws INVALID_ARGUMENT naming the field. */
export const validate = {
  caseId(value: string): string {
    return keyPart("case_id", value);
  },

  reportId(value: string): string {
    if (value === "") throw new InvalidArgumentError("report_id", "is required");
    if (!REPORT_ID_PATTERN.test(value)) throw new InvalidArgumentError("report_id", "is not a report id (rep_...)");
    return value;
  },

  type(value: ReportType): TypeName {
    const name = typeName(value);
    if (!name) throw new InvalidArgumentError("type", "must be INCIDENT_REPORT, RCA_REPORT, RUNBOOK or POST_MORTEM");
    return name;
  },

  /** An optional type filter: UNSPECIFIED means all types. */
  typeFilter(value: ReportType): TypeName | undefined {
    return value === 0 ? undefined : validate.type(value);
  },

  status(value: ReportStatus) {
    const name = statusName(value);
    if (!name) throw new InvalidArgumentError("status", "must be DRAFT or FINAL");
    return name;
  },

  text(field: string, value: string, max: number, required: boolean): string {
    if (required && value.trim() === "") throw new InvalidArgumentError(field, "is required");
    if (value.length > max) throw new InvalidArgumentError(field, `must be at most ${max} characters`);
    return value;
  },

  /** created_by is optional; when set it must look like an id. */
  createdBy(value: string): string {
    return value === "" ? "" : keyPart("created_by", value);
  },

  limit(value: number): number {
    if (value < 0) throw new InvalidArgumentError("limit", "must not be negative");
    return value === 0 ? LIMITS.defaultLimit : Math.min(value, LIMITS.maxLimit);
  },
};
