import { keyBuilders, SLOT_TAG_LENGTH, slotTagOf } from "@faultmaven/redis";
import { newReportId } from "../domain/report.js";
import { reportKeySchema } from "./key-schema.js";

const builders = keyBuilders(reportKeySchema);

/**
 * The report-svc key builders, derived from its key schema: every part is
 * validated before it is used. A report's metadata key is built from the id
 * alone: its slot characters (after `rep_`) are the key's hash tag.
 */
export const reportKeys = {
  ...builders,
  metadata: (reportId: string) => builders.metadata(reportId.slice(4, 4 + SLOT_TAG_LENGTH), reportId),
};

/** A new report id of `caseId`: its slot characters are those of the case's hash tag `{case_id}`. */
export function newCaseReportId(caseId: string): string {
  return newReportId(slotTagOf(caseId));
}
