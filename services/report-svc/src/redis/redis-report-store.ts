import { callRedis, type RedisClient, type RedisMode } from "@faultmaven/redis";
import { contentLocation, REPORT_TYPES, type NewReport, type ReportRecord, type ReportType } from "../domain/report.js";
import type { ReportPage, ReportStore } from "../domain/report-store.js";
import { reportKeys } from "./keys.js";
import { parseMetadata } from "./metadata-hash.js";
import type { CaseKeysInput, CaseKeysOutcome } from "./report-step-inputs.js";
import { CASE_KEYS_STEP, DELETE_REPORT, SAVE_REPORT } from "./report-steps.js";

/**
 * Report metadata in Redis. Every write is a MultiKeyStep (report-steps.ts):
 * one atomic script over the case's keys on standalone and Sentinel,
 * single-key steps on Cluster, where those keys live in different slots.
 * Reads are the same everywhere; GetReport is one HGETALL.
 */
export class RedisReportStore implements ReportStore {
  constructor(
    private readonly client: RedisClient,
    private readonly mode: RedisMode = "standalone",
  ) {}

  save(report: NewReport): Promise<ReportRecord> {
    return callRedis(async () => {
      const fields = {
        case_id: report.caseId,
        status: report.status,
        title: report.title,
        created_by: report.createdBy,
        content_location: contentLocation(report.reportId),
      };
      const saved = await SAVE_REPORT.run(this.client, this.mode, { report, fields });
      return { ...report, ...saved, contentLocation: fields.content_location };
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
      const report = await this.get(reportId);
      if (!report) return undefined;
      return (await DELETE_REPORT.run(this.client, this.mode, report)) ? report : undefined;
    });
  }

  deleteCase(caseId: string): Promise<readonly string[]> {
    return callRedis(async () => (await this.#caseKeys(caseId, "delete")).ids);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  /** Expires, persists or deletes every report key of a case and its closure (see CASE_KEYS_STEP). */
  #caseKeys(caseId: string, action: CaseKeysInput["action"], ttlMs = 0): Promise<CaseKeysOutcome> {
    return CASE_KEYS_STEP.run(this.client, this.mode, { caseId, action, ttlMs });
  }

  async #page(key: string, offset: number, limit: number, reverse: boolean): Promise<ReportPage> {
    const end = offset + limit;
    const ids = reverse ? await this.client.zrevrange(key, offset, end) : await this.client.zrange(key, String(offset), String(end));
    const page = ids.slice(0, limit);
    const reports = (await this.getMany(page)).filter((r): r is ReportRecord => r !== undefined);
    return { reports, nextOffset: ids.length > limit ? end : undefined };
  }
}
