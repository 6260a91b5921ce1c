import { callRedis, type RedisClient, type RedisMode } from "@faultmaven/redis";
import { contentLocation, REPORT_TYPES, type NewReport, type ReportRecord, type ReportType } from "../domain/report.js";
import type { ReportPage, ReportStore } from "../domain/report-store.js";
import { ClusterReportWrites } from "./cluster-report-writes.js";
import { reportKeys } from "./keys.js";
import { parseMetadata } from "./metadata-hash.js";
import { CASE_KEYS, DELETE, SAVE } from "./scripts.js";

/**
 * Report metadata in Redis. On standalone and Sentinel every write is one
 * atomic script over the case's keys; on Cluster, where those keys live in
 * different slots, writes go through ClusterReportWrites. Reads are the same
 * everywhere; GetReport is one HGETALL.
 */
export class RedisReportStore implements ReportStore {
  readonly #cluster: ClusterReportWrites | undefined;

  constructor(
    private readonly client: RedisClient,
    mode: RedisMode = "standalone",
  ) {
    this.#cluster = mode === "cluster" ? new ClusterReportWrites(client) : undefined;
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
      if (this.#cluster) {
        const saved = await this.#cluster.save(report, fields);
        return { ...report, ...saved, contentLocation: fields.content_location };
      }
      const [version, createdAt] = (await SAVE.run(this.client, this.#keys(report.caseId, report.type, report.reportId), [
        report.reportId,
        report.type,
        ...Object.entries(fields).flat(),
      ])) as [number, number];
      return { ...report, version, createdAt, isCurrent: true, contentLocation: fields.content_location };
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
    return callRedis(async () => ((await this.#caseKeys(caseId, "expire", ttlMs)).length === 0 ? undefined : Date.now() + ttlMs));
  }

  reopenCase(caseId: string): Promise<boolean> {
    return callRedis(async () => (await this.#caseKeys(caseId, "persist")).length > 0);
  }

  delete(reportId: string): Promise<ReportRecord | undefined> {
    return callRedis(async () => {
      const report = await this.get(reportId);
      if (!report) return undefined;
      if (this.#cluster) {
        await this.#cluster.delete(report);
        return report;
      }
      const deleted = await DELETE.run(this.client, this.#keys(report.caseId, report.type, reportId), [reportId, report.type]);
      return deleted === 1 ? report : undefined;
    });
  }

  deleteCase(caseId: string): Promise<readonly string[]> {
    return callRedis(() => this.#caseKeys(caseId, "delete"));
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  #keys(caseId: string, type: ReportType, reportId: string): string[] {
    return [
      reportKeys.caseType(caseId, type),
      reportKeys.caseReports(caseId),
      reportKeys.caseCurrent(caseId),
      reportKeys.metadata(reportId),
    ];
  }

  /** Expires, persists or deletes every report key of a case at once; returns its report ids. */
  async #caseKeys(caseId: string, action: "expire" | "persist" | "delete", ttlMs = 0): Promise<string[]> {
    if (this.#cluster) return this.#cluster.caseKeys(caseId, action, ttlMs);
    const keys = [
      reportKeys.caseReports(caseId),
      reportKeys.caseCurrent(caseId),
      ...REPORT_TYPES.map((t) => reportKeys.caseType(caseId, t)),
    ];
    return (await CASE_KEYS.run(this.client, keys, [action, ttlMs])) as string[];
  }

  async #page(key: string, offset: number, limit: number, reverse: boolean): Promise<ReportPage> {
    const end = offset + limit;
    const ids = reverse ? await this.client.zrevrange(key, offset, end) : await this.client.zrange(key, String(offset), String(end));
    const page = ids.slice(0, limit);
    const reports = (await this.getMany(page)).filter((r): r is ReportRecord => r !== undefined);
    return { reports, nextOffset: ids.length > limit ? end : undefined };
  }
}
