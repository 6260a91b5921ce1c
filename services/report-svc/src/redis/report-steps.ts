import { MultiKeyStep, pairsToHash } from "@faultmaven/redis";
import { REPORT_TYPES, type ReportRecord } from "../domain/report.js";
import { reportKeys } from "./keys.js";
import { parseMetadata } from "./metadata-hash.js";
import type { CaseKeysInput, CaseKeysOutcome, SaveInput, SaveOutcome } from "./report-step-inputs.js";
import { CASE_KEYS, DELETE, SAVE } from "./scripts.js";

/**
 * The report writes as MultiKeySteps: one atomic script over the case's
 * keys, planned from a read of the keys it must name (see scripts.ts). They
 * have no split form: every key they name shares the case's hash slot, so
 * the same script runs on standalone, Sentinel and Cluster.
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
    const [version, createdAt, reportId] = reply as [number, number, string];
    return { reportId, version, createdAt, isCurrent: true };
  },
});

/** Deletes a report (read first by the caller); answers what it deleted, undefined when it was gone by then. */
export const DELETE_REPORT = new MultiKeyStep<ReportRecord, ReportRecord | undefined>("delete_report", {
  plan: async (client, report) => {
    const top = await client.zrange(reportKeys.caseType(report.caseId, report.type), "0", "1");
    const next = top.find((id) => id !== report.reportId) ?? "";
    return {
      script: DELETE,
      keys: [...reportWriteKeys(report), ...(next === "" ? [] : [reportKeys.metadata(next)])],
      args: [report.reportId, report.type, next],
    };
  },
  decode: (reply) => parseMetadata(pairsToHash(reply)),
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
  decode: caseKeysOutcome,
});

/** A case-wide step's reply {now, ids, was_closed (1/0)} as its outcome. */
export function caseKeysOutcome(reply: unknown): CaseKeysOutcome {
  const [now, ids, wasClosed] = reply as [number, string[], number];
  return { now, ids, wasClosed: wasClosed === 1 };
}

/** The keys every save and delete of one report touches, in the scripts' KEYS order. */
function reportWriteKeys(report: { caseId: string; type: ReportRecord["type"]; reportId: string }): string[] {
  return [
    reportKeys.caseType(report.caseId, report.type),
    reportKeys.caseReports(report.caseId),
    reportKeys.caseCurrent(report.caseId),
    reportKeys.metadata(report.reportId),
  ];
}
