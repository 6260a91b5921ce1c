import type { RedisClient } from "@faultmaven/redis";
import { REPORT_TYPES, type NewReport, type ReportRecord } from "../domain/report.js";
import { reportKeys } from "./keys.js";
import { ADVANCE_CURRENT, RESERVE_VERSION, RETREAT_CURRENT, SET_CURRENT_FLAG } from "./cluster-scripts.js";

/**
 * Report writes for Redis Cluster, as single-key steps. Versions stay unique
 * and gapless (one script on the type's sorted set); the current pointer
 * only ever advances to a newer version (one script on the current hash);
 * each save then sets its own is_current flag from the outcome, clears the
 * one it replaced, and re-checks the pointer at the end, so the flags agree
 * with the pointer once concurrent saves have finished. Case-wide TTL changes
 * and deletes touch each key in turn.
 */
export class ClusterReportWrites {
  constructor(private readonly client: RedisClient) {}

  async save(report: NewReport, fields: Record<string, string>): Promise<{ version: number; createdAt: number; isCurrent: boolean }> {
    const { caseId, type, reportId } = report;
    const metaKey = reportKeys.metadata(reportId);
    const version = (await RESERVE_VERSION.run(this.client, [reportKeys.caseType(caseId, type)], [reportId])) as number;
    const createdAt = Date.now();
    const closedTtl = await this.client.pttl(reportKeys.caseReports(caseId));
    await this.client.hset(metaKey, { ...fields, report_id: reportId, type, version, created_at: createdAt, is_current: "false" });
    await this.client.zadd(reportKeys.caseReports(caseId), createdAt, reportId);
    if (closedTtl > 0) {
      const keys = [metaKey, reportKeys.caseType(caseId, type), reportKeys.caseReports(caseId), reportKeys.caseCurrent(caseId)];
      await Promise.all(keys.map((key) => this.client.pexpire(key, closedTtl)));
    }
    const previous = (await ADVANCE_CURRENT.run(this.client, [reportKeys.caseCurrent(caseId)], [type, reportId, version])) as string | null;
    if (previous !== null) {
      await SET_CURRENT_FLAG.run(this.client, [metaKey], ["true"]);
      if (previous !== "") await SET_CURRENT_FLAG.run(this.client, [reportKeys.metadata(previous)], ["false"]);
    }
    // A newer save may have overtaken this one between the steps above.
    const current = await this.client.hget(reportKeys.caseCurrent(caseId), type);
    const isCurrent = current === reportId;
    if (!isCurrent) await SET_CURRENT_FLAG.run(this.client, [metaKey], ["false"]);
    return { version, createdAt, isCurrent };
  }

  async delete(report: ReportRecord): Promise<void> {
    const { caseId, type, reportId } = report;
    const typeKey = reportKeys.caseType(caseId, type);
    await this.client.zrem(typeKey, reportId);
    await this.client.zrem(reportKeys.caseReports(caseId), reportId);
    await this.client.del(reportKeys.metadata(reportId));
    const [newest, score] = await this.client.zrange(typeKey, "0", "0", "WITHSCORES");
    const args = newest ? [type, reportId, newest, String(-Number(score))] : [type, reportId, "", ""];
    if ((await RETREAT_CURRENT.run(this.client, [reportKeys.caseCurrent(caseId)], args)) === 1 && newest) {
      await SET_CURRENT_FLAG.run(this.client, [reportKeys.metadata(newest)], ["true"]);
    }
  }

  /** Expires, persists or deletes every report key of a case, key by key; returns its report ids. */
  async caseKeys(caseId: string, action: "expire" | "persist" | "delete", ttlMs: number): Promise<string[]> {
    const ids = await this.client.zrange(reportKeys.caseReports(caseId), "0", "-1");
    if (ids.length === 0) return ids;
    const keys = [
      ...ids.map((id) => reportKeys.metadata(id)),
      ...REPORT_TYPES.map((t) => reportKeys.caseType(caseId, t)),
      reportKeys.caseCurrent(caseId),
      reportKeys.caseReports(caseId),
    ];
    await Promise.all(
      keys.map((key) =>
        action === "expire" ? this.client.pexpire(key, ttlMs) : action === "persist" ? this.client.persist(key) : this.client.del(key),
      ),
    );
    return ids;
  }
}
