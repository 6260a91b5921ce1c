import { AbortedError } from "@faultmaven/errors";
import { currentCallScope } from "@faultmaven/call-scope";
import {
  backOff,
  callRedis,
  DEFAULT_CONTENTION_POLICY,
  idempotencyRecordKey,
  pairsToHash,
  type RedisClient,
  type RedisMode,
  slotTagOf,
} from "@faultmaven/redis";
import { ReportLimitError } from "../domain/errors.js";
import {
  contentLocation,
  MAX_VERSIONS_PER_TYPE,
  REPORT_TYPES,
  type NewReport,
  type ReportRecord,
  type ReportType,
} from "../domain/report.js";
import type { ReportPage, ReportStore, SaveState } from "../domain/report-store.js";
import { PEEK_RECORD } from "./idempotency-scripts.js";
import { newCaseReportId, reportKeys } from "./keys.js";
import { parseMetadata } from "./metadata-hash.js";
import type { CaseKeysInput, CaseKeysOutcome, SaveOutcome } from "./report-step-inputs.js";
import { CASE_KEYS_STEP, caseKeysOutcome, DELETE_REPORT, SAVE_REPORT } from "./report-steps.js";
import { DROP_INTENT, RECORD_INTENT } from "./save-intent-scripts.js";
import { isVersionLimit } from "./scripts.js";

/**
 * How long a save intent is kept when its save never commits: far beyond
 * any reconciliation interval (at most a day), so reconciliation sees the
 * intent of every content write that landed.
 */
export const INTENT_TTL_MS = 7 * 86_400_000;

/** Ids per round of saveStates' reads. */
const STATE_BATCH = 500;

/**
 * Report metadata in Redis. Every write is one atomic script over the
 * case's keys (report-steps.ts), on standalone, Sentinel and Cluster alike:
 * a case's keys, its reports' metadata and the idempotency records anchored
 * on them share one hash slot (key-schema.ts). Reads are the same
 * everywhere; GetReport is one HGETALL.
 *
 * Idempotency keys: a keyed call first reads the reply recorded under its
 * key (PEEK_RECORD) and answers a retry from it without redoing any step;
 * the script records its reply atomically with its effect.
 */
export class RedisReportStore implements ReportStore {
  constructor(
    private readonly client: RedisClient,
    private readonly mode: RedisMode = "standalone",
  ) {
    // Builds the slot-tag table (~0.1 s of CPU) at start, not inside the first save.
    slotTagOf("");
  }

  newReportId(caseId: string): string {
    return newCaseReportId(caseId);
  }

  replayedSave(report: Omit<NewReport, "reportId">): Promise<ReportRecord | undefined> {
    return callRedis(async () => {
      const reply = await this.#peek(reportKeys.caseReports(report.caseId));
      return reply === null ? undefined : savedRecord(report, saveOutcome(reply));
    });
  }

  recordIntent(report: NewReport, windowMs: number): Promise<void> {
    return callRedis(async () => {
      const deadline = currentCallScope()?.deadline;
      const window = Math.max(1, Math.min(windowMs, deadline === undefined ? windowMs : deadline - Date.now()));
      await RECORD_INTENT.run(this.client, [reportKeys.metadata(report.reportId)], [window, INTENT_TTL_MS, report.caseId, report.type]);
    });
  }

  save(report: NewReport): Promise<ReportRecord> {
    return callRedis(async () => {
      const fields = {
        case_id: report.caseId,
        status: report.status,
        title: report.title,
        created_by: report.createdBy,
        content_location: contentLocation(report.reportId),
      };
      const saved = await SAVE_REPORT.run(this.client, this.mode, { report, fields }).catch((error: unknown) => {
        throw isVersionLimit(error) ? new ReportLimitError(MAX_VERSIONS_PER_TYPE) : error;
      });
      return savedRecord(report, saved);
    });
  }

  dropIntent(reportId: string, passedOnly: boolean): Promise<boolean> {
    return callRedis(
      async () => (await DROP_INTENT.run(this.client, [reportKeys.metadata(reportId)], [passedOnly ? "passed" : "any"])) === 1,
    );
  }

  saveStates(reportIds: readonly string[]): Promise<SaveState[]> {
    return callRedis(async () => {
      // Redis time before the reads: an intent that had passed then has passed for good.
      const [seconds, micros] = await this.client.time();
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      const states: SaveState[] = [];
      for (let i = 0; i < reportIds.length; i += STATE_BATCH) {
        const batch = reportIds.slice(i, i + STATE_BATCH);
        const rows = await Promise.all(batch.map((id) => this.client.hmget(reportKeys.metadata(id), "report_id", "save_intent")));
        for (const [reportId, intent] of rows) {
          states.push(reportId ? "saved" : intent ? (Number(intent) < now ? "failed" : "pending") : "unknown");
        }
      }
      return states;
    });
  }

  get(reportId: string): Promise<ReportRecord | undefined> {
    return callRedis(async () => parseMetadata(await this.client.hgetall(reportKeys.metadata(reportId))));
  }

  getMany(reportIds: readonly string[]): Promise<(ReportRecord | undefined)[]> {
    return callRedis(async () => {
      const hashes = await Promise.all(reportIds.map((id) => this.client.hgetall(reportKeys.metadata(id))));
      return hashes.map(parseMetadata);
    });
  }

  listByCase(caseId: string, offset: number, limit: number): Promise<ReportPage> {
    return callRedis(() => this.#page(reportKeys.caseReports(caseId), offset, limit, true));
  }

  listVersions(caseId: string, type: ReportType, offset: number, limit: number): Promise<ReportPage> {
    // Scores are -version, so ascending order is newest first.
    return callRedis(() => this.#page(reportKeys.caseType(caseId, type), offset, limit, false));
  }

  current(caseId: string, type?: ReportType): Promise<readonly ReportRecord[]> {
    return callRedis(async () => {
      const pointers = await this.client.hgetall(reportKeys.caseCurrent(caseId));
      const ids = REPORT_TYPES.filter((t) => (type === undefined || t === type) && pointers[t]).map((t) => pointers[t]!);
      return (await this.getMany(ids)).filter((r): r is ReportRecord => r !== undefined);
    });
  }

  closeCase(caseId: string, ttlMs: number): Promise<number | undefined> {
    return callRedis(async () => {
      const { now, ids } = await this.#caseKeys(caseId, "expire", ttlMs);
      return ids.length === 0 ? undefined : now + ttlMs;
    });
  }

  reopenCase(caseId: string): Promise<boolean> {
    return callRedis(async () => {
      const { ids, wasClosed } = await this.#caseKeys(caseId, "persist");
      return ids.length > 0 || wasClosed;
    });
  }

  delete(reportId: string): Promise<ReportRecord | undefined> {
    return callRedis(async () => {
      const anchor = reportKeys.metadata(reportId);
      const replay = await this.#peek(anchor);
      if (replay !== null) return parseMetadata(pairsToHash(replay));
      const report = await this.get(reportId);
      if (!report) return undefined;
      return DELETE_REPORT.run(this.client, this.mode, report);
    });
  }

  deleteCase(caseId: string): Promise<readonly string[]> {
    return callRedis(async () => (await this.#caseKeys(caseId, "delete")).ids);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  /** Expires, persists or deletes every report key of a case and its closure (see CASE_KEYS_STEP). */
  async #caseKeys(caseId: string, action: CaseKeysInput["action"], ttlMs = 0): Promise<CaseKeysOutcome> {
    const anchor = reportKeys.caseReports(caseId);
    const replay = await this.#peek(anchor);
    if (replay !== null) return caseKeysOutcome(replay);
    return CASE_KEYS_STEP.run(this.client, this.mode, { caseId, action, ttlMs });
  }

  /** The reply recorded under the call's idempotency key, anchored on `anchor`; null without key or record. */
  async #peek(anchor: string): Promise<unknown> {
    const key = currentCallScope()?.idempotency;
    if (key === undefined) return null;
    return PEEK_RECORD.run(this.client, [idempotencyRecordKey(anchor, key.name)], [key.fingerprint]);
  }

  async #page(key: string, offset: number, limit: number, reverse: boolean): Promise<ReportPage> {
    const end = offset + limit;
    const range = (): [string, ...string[]] =>
      reverse ? ["zrevrange", key, String(offset), String(end)] : ["zrange", key, String(offset), String(end)];
    let ids = (await this.client.call(...range())) as string[];
    // The index and the page's metadata are read again in one MULTI (one slot: the case's); a save that
    // landed since the first read changes the range, and the page is read again with the new ids, so a
    // page shows one instant: the newest report on it is the current one, never a page with none. Saves
    // landing faster than a page is read: the shared contention backoff between reads, then ABORTED.
    for (let attempt = 1; ; attempt++) {
      await backOff(DEFAULT_CONTENTION_POLICY, attempt - 1);
      const page = ids.slice(0, limit);
      const replies = await this.client.multi([range(), ...page.map((id) => ["hgetall", reportKeys.metadata(id)])]).exec();
      if (replies === null) throw new Error("the MULTI reading a page of reports was aborted");
      for (const [error] of replies) if (error) throw error;
      const now = replies[0]![1] as string[];
      if (now.join() === ids.join()) {
        const reports = replies
          .slice(1)
          .map(([, hash]) => parseMetadata(hash as Record<string, string>))
          .filter((r): r is ReportRecord => r !== undefined);
        return { reports, nextOffset: ids.length > limit ? end : undefined };
      }
      if (attempt === DEFAULT_CONTENTION_POLICY.maxPlans) throw new AbortedError("list_reports");
      ids = now;
    }
  }
}

/** A recorded save reply {version, created_at, report id}: the save made its report current. */
function saveOutcome(reply: unknown): SaveOutcome {
  const [version, createdAt, reportId] = reply as [number, number, string];
  return { reportId, version, createdAt, isCurrent: true };
}

/** The record a save answers: the request's fields with what the store decided. */
function savedRecord(report: Omit<NewReport, "reportId">, saved: SaveOutcome): ReportRecord {
  return { ...report, ...saved, contentLocation: contentLocation(saved.reportId) };
}
