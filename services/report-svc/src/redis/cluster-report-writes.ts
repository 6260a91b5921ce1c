import { pairsToHash, type SingleKeyCalls } from "@faultmaven/redis";
import { REPORT_TYPES, type ReportRecord, type ReportType } from "../domain/report.js";
import { reportKeys } from "./keys.js";
import {
  ADVANCE_CURRENT,
  CASE_KEY_ACTION,
  COMMIT_METADATA,
  DELETE_METADATA,
  INDEX_MEMBER,
  REMOVE_MEMBER,
  RESERVE_VERSION,
  RETREAT_CURRENT,
  SET_CURRENT_FLAG,
} from "./cluster-scripts.js";
import { failedPartWay } from "./after-commit.js";
import { parseMetadata } from "./metadata-hash.js";
import type { CaseKeysInput, CaseKeysOutcome, SaveInput, SaveOutcome } from "./report-step-inputs.js";

/**
 * The report steps as single-key calls, for Redis Cluster. Versions stay
 * unique and gapless (one script on the type's sorted set); the current
 * pointer only ever advances to a newer version (one script on the current
 * hash); each save then sets its own is_current flag from the outcome,
 * clears the one it replaced, and settles its own flag from the pointer at
 * the end, so the flags agree with the pointer once concurrent saves and
 * deletes have finished.
 * Case-wide TTL changes and deletes touch each key in turn; the closure is
 * its own key, case:{c}:closed, read by each save for the remaining TTL.
 * Every write is a script, so each carries the not-after bound: a step that
 * reaches a stalled Redis late does nothing. The report becomes visible at
 * COMMIT_METADATA, which needs the save's live intent (save-intent-scripts.ts);
 * a failure after it is no longer "nothing saved" (failedPartWay).
 * Every step is re-runnable for one report id: a save resumed with the same
 * id (a keyed retry, see RESERVE_REPORT_ID) keeps the version and created_at
 * it committed and finishes the steps the first attempt did not.
 */
export async function saveInSteps(calls: SingleKeyCalls, { report, fields }: SaveInput): Promise<SaveOutcome> {
  const { caseId, type, reportId } = report;
  const [reserved, now] = (await calls.script(RESERVE_VERSION, reportKeys.caseType(caseId, type), [reportId])) as [number, number];
  const closedTtl = await closureTtl(calls.client, caseId);
  const metadata = { ...fields, report_id: reportId, type, version: reserved, created_at: now, is_current: "false" };
  const committed = (await calls.script(COMMIT_METADATA, reportKeys.metadata(reportId), [
    closedTtl,
    ...Object.entries(metadata).flat(),
  ])) as Committed;
  try {
    return await finishSave(calls, report, closedTtl, committed);
  } catch (error) {
    throw failedPartWay(error, "the report was committed");
  }
}

/** COMMIT_METADATA's answer: the committed version and created_at, and 1 when the report was committed already. */
type Committed = [number, number, number];

/** The steps after the commit, each re-runnable for one report id, so a keyed retry that resumes the save finishes them. */
async function finishSave(
  calls: SingleKeyCalls,
  { caseId, type, reportId }: SaveInput["report"],
  closedTtl: number,
  [version, createdAt, resumed]: Committed,
): Promise<SaveOutcome> {
  const metaKey = reportKeys.metadata(reportId);
  await calls.script(INDEX_MEMBER, reportKeys.caseReports(caseId), [createdAt, reportId, closedTtl]);
  if (closedTtl > 0) await calls.script(CASE_KEY_ACTION, reportKeys.caseType(caseId, type), ["expire", closedTtl]);
  const previous = (await calls.script(ADVANCE_CURRENT, reportKeys.caseCurrent(caseId), [type, reportId, version])) as string | null;
  // Only now may the pointer hash exist (the first report of a case creates it).
  if (closedTtl > 0) await calls.script(CASE_KEY_ACTION, reportKeys.caseCurrent(caseId), ["expire", closedTtl]);
  if (previous !== null) {
    await calls.script(SET_CURRENT_FLAG, metaKey, ["true"]);
    if (previous !== "") await calls.script(SET_CURRENT_FLAG, reportKeys.metadata(previous), ["false"]);
  } else if (resumed === 1) {
    await clearOlderFlags(calls, caseId, type, version);
  }
  return { reportId, version, createdAt, isCurrent: await settleOwnFlag(calls, caseId, type, reportId) };
}

/**
 * For a resumed save that a newer one overtook: its first attempt may have
 * moved the pointer from a report and failed before clearing that report's
 * flag, and the report it replaced is no longer known. A newer report is
 * current, so no version older than this one can be: clears any flag still
 * set there.
 */
async function clearOlderFlags(calls: SingleKeyCalls, caseId: string, type: ReportType, version: number): Promise<void> {
  // Scores are -version: the older versions score above -version.
  const older = await calls.client.zrangebyscore(reportKeys.caseType(caseId, type), `(${-version}`, "+inf");
  const flags = await Promise.all(older.map((id) => calls.client.hget(reportKeys.metadata(id), "is_current")));
  const stale = older.filter((_, i) => flags[i] === "true");
  await Promise.all(stale.map((id) => calls.script(SET_CURRENT_FLAG, reportKeys.metadata(id), ["false"])));
}

/** Enough re-reads for any burst of saves and deletes that moves the pointer while one save settles its flag. */
const SETTLE_ROUNDS = 20;

/**
 * Sets the save's own is_current flag from the pointer, until the pointer
 * is the same after the write as before it. Between the steps above a newer
 * save may have overtaken this one (flag false), or a delete of the current
 * report may have moved the pointer here before this metadata existed (flag
 * true). A pointer that moves away after the last read belongs to a save or
 * delete that sets this flag itself afterwards.
 */
async function settleOwnFlag(calls: SingleKeyCalls, caseId: string, type: string, reportId: string): Promise<boolean> {
  const pointer = () => calls.client.hget(reportKeys.caseCurrent(caseId), type);
  let current = await pointer();
  for (let round = 0; round < SETTLE_ROUNDS; round++) {
    await calls.script(SET_CURRENT_FLAG, reportKeys.metadata(reportId), [current === reportId ? "true" : "false"]);
    const after = await pointer();
    if (after === current) break;
    current = after;
  }
  return current === reportId;
}

/**
 * Deletes a report key by key; the newest remaining version of its type
 * becomes current. The metadata goes last: until then the report is still
 * readable by id, so a retry of a delete that failed midway (keyed or not)
 * finds it and finishes the steps, each of which is re-runnable. Answers the
 * deleted metadata, undefined when another delete won; the last step records
 * that answer under the call's idempotency key (DELETE_METADATA).
 */
export async function deleteInSteps(calls: SingleKeyCalls, report: ReportRecord): Promise<ReportRecord | undefined> {
  const { client } = calls;
  const { caseId, type, reportId } = report;
  const typeKey = reportKeys.caseType(caseId, type);
  await calls.script(REMOVE_MEMBER, typeKey, [reportId]);
  try {
    await calls.script(REMOVE_MEMBER, reportKeys.caseReports(caseId), [reportId]);
    const [newest, score] = await client.zrange(typeKey, "0", "0", "WITHSCORES");
    const args = newest ? [type, reportId, newest, String(-Number(score))] : [type, reportId, "", ""];
    const retreated = (await calls.script(RETREAT_CURRENT, reportKeys.caseCurrent(caseId), args)) === 1;
    // A retry finds the pointer moved by the first attempt: the flag may still be missing.
    if (newest && (retreated || (await client.hget(reportKeys.caseCurrent(caseId), type)) === newest)) {
      await calls.script(SET_CURRENT_FLAG, reportKeys.metadata(newest), ["true"]);
    }
    // Of concurrent deletes of one report, the one that removes its metadata is the one that deleted it.
    return parseMetadata(pairsToHash(await calls.script(DELETE_METADATA, reportKeys.metadata(reportId), [])));
  } catch (error) {
    throw failedPartWay(error, "an earlier step of the write took effect");
  }
}

/** The remaining closure TTL in ms (<= 0 when open); a closure older than case:{c}:closed is read from the timeline. */
async function closureTtl(client: SingleKeyCalls["client"], caseId: string): Promise<number> {
  const ttl = await client.pttl(reportKeys.caseClosed(caseId));
  return ttl >= 0 ? ttl : client.pttl(reportKeys.caseReports(caseId));
}

/**
 * Closes (expires), reopens (persists) or deletes a case's report keys and
 * its closure, key by key. The closure is written before the report keys
 * expire, so a save that starts after CloseCase began already sees it.
 */
export async function caseKeysInSteps(calls: SingleKeyCalls, { caseId, action, ttlMs }: CaseKeysInput): Promise<CaseKeysOutcome> {
  const { client } = calls;
  const [seconds, micros] = await client.time();
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  const ids = await client.zrange(reportKeys.caseReports(caseId), "0", "-1");
  const closedKey = reportKeys.caseClosed(caseId);
  const wasClosed =
    action === "expire" ? (await client.exists(closedKey)) === 1 : (await calls.script(CASE_KEY_ACTION, closedKey, ["delete"])) === 1;
  if (ids.length === 0) return { now, ids, wasClosed };
  // From here on a step has taken effect (or, for "expire", is about to): a failure is part-way.
  try {
    if (action === "expire") await calls.script(CASE_KEY_ACTION, closedKey, ["close", ttlMs, now + ttlMs]);
    const keys = [
      ...ids.map((id) => reportKeys.metadata(id)),
      ...REPORT_TYPES.map((t) => reportKeys.caseType(caseId, t)),
      reportKeys.caseCurrent(caseId),
      reportKeys.caseReports(caseId),
    ];
    await Promise.all(keys.map((key) => calls.script(CASE_KEY_ACTION, key, [action, ttlMs])));
    return { now, ids, wasClosed };
  } catch (error) {
    throw failedPartWay(error, "an earlier step of the write took effect");
  }
}
