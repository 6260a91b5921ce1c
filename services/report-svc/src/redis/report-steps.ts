import { MultiKeyStep } from "@faultmaven/redis";
import { ReportLimitError } from "../domain/errors.js";
import { MAX_VERSIONS_PER_TYPE, REPORT_TYPES, type ReportRecord } from "../domain/report.js";
import { caseKeysInSteps, deleteInSteps, saveInSteps } from "./cluster-report-writes.js";
import { reportKeys } from "./keys.js";
import type { CaseKeysInput, CaseKeysOutcome, SaveInput, SaveOutcome } from "./report-step-inputs.js";
import { CASE_KEYS, DELETE, SAVE, VERSION_LIMIT } from "./scripts.js";

/**
 * The report writes as MultiKeySteps: one atomic script over the case's
 * keys on standalone and Sentinel (planned from a read of the keys they
 * must name, see scripts.ts), single-key steps on Cluster (see
 * cluster-report-writes.ts, whose guarantees are weaker and documented).
 */
export const SAVE_REPORT = new MultiKeyStep<SaveInput, SaveOutcome>("save_report", {
  plan: async (client, { report, fields }) => {
    const { caseId, type, reportId } = report;
    const previous = (await client.hget(reportKeys.caseCurrent(caseId), type)) ?? "";
    return {
      script: SAVE,
      keys: [...reportWriteKeys(report), reportKeys.caseClosed(caseId), ...(previous === "" ? [] : [reportKeys.metadata(previous)])],
      args: [reportId, type, previous, ...Object.entries(fields).flat()],
    };
  },
  decode: (reply) => {
    if (reply === VERSION_LIMIT) throw new ReportLimitError(MAX_VERSIONS_PER_TYPE);
    const [version, createdAt] = reply as [number, number];
    return { version, createdAt, isCurrent: true };
  },
  split: saveInSteps,
});

/** Deletes a report (read first by the caller); false when it was gone by then. */
export const DELETE_REPORT = new MultiKeyStep<ReportRecord, boolean>("delete_report", {
  plan: async (client, report) => {
    const top = await client.zrange(reportKeys.caseType(report.caseId, report.type), "0", "1");
    const next = top.find((id) => id !== report.reportId) ?? "";
    return {
      script: DELETE,
      keys: [...reportWriteKeys(report), ...(next === "" ? [] : [reportKeys.metadata(next)])],
      args: [report.reportId, report.type, next],
    };
  },
  decode: (reply) => reply === 1,
  split: deleteInSteps,
});

/**
 * Closes (expires), reopens (persists) or deletes a case's report keys and
 * its closure; returns its report ids, the Redis time and whether it was closed.
 */
export const CASE_KEYS_STEP = new MultiKeyStep<CaseKeysInput, CaseKeysOutcome>("case_keys", {
  plan: async (client, { caseId, action, ttlMs }) => {
    const ids = await client.zrange(reportKeys.caseReports(caseId), "0", "-1");
    return {
      script: CASE_KEYS,
      keys: [
        reportKeys.caseReports(caseId),
        reportKeys.caseClosed(caseId),
        reportKeys.caseCurrent(caseId),
        ...REPORT_TYPES.map((t) => reportKeys.caseType(caseId, t)),
        ...ids.map((id) => reportKeys.metadata(id)),
      ],
      args: [action, ttlMs, ...ids],
    };
  },
  decode: (reply) => {
    const [now, ids, wasClosed] = reply as [number, string[], number];
    return { now, ids, wasClosed: wasClosed === 1 };
  },
  split: caseKeysInSteps,
});

/** The keys every save and delete of one report touches, in the scripts' KEYS order. */
function reportWriteKeys(report: { caseId: string; type: ReportRecord["type"]; reportId: string }): string[] {
  return [
    reportKeys.caseType(report.caseId, report.type),
    reportKeys.caseReports(report.caseId),
    reportKeys.caseCurrent(report.caseId),
    reportKeys.metadata(report.reportId),
  ];
}
