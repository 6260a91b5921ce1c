import { status } from "@grpc/grpc-js";
import { ChromaClient } from "chromadb";
import { ReportStatus, ReportType } from "@faultmaven/contract/report";
import { type ChromaServer, HttpTap, listMethods, RedisServer, waitFor, type TappedExchange } from "@faultmaven/test-kit";
import { failure, reportServiceOnFreshStores, startReportService } from "./report-harness.js";
import { reportKeys } from "../src/redis/keys.js";

/** report-svc as callers see it: a real process on a real Redis and a real ChromaDB. */
let redis: RedisServer;
let chroma: ChromaServer;
let svc: Awaited<ReturnType<typeof startReportService>>;

reportServiceOnFreshStores({ CHROMA_TIMEOUT_MS: "10000" }, (started) => ({ redis, chroma, svc } = started));

/** What Chroma itself holds for these report ids. */
async function contentIn(ids: string[]): Promise<string[]> {
  const client = new ChromaClient({ host: "127.0.0.1", port: chroma.port });
  const collection = await client.getCollection({ name: "faultmaven_case_reports", embeddingFunction: null as never });
  return (await collection.get({ ids })).ids;
}

let n = 0;
const caseId = () => `case_${++n}`;
const save = (c: string, type = ReportType.RCA_REPORT, content = `report content ${n}`) =>
  svc.client.saveReport({ caseId: c, type, status: ReportStatus.FINAL, content, createdBy: "user_abc", title: "Title" });

describe("report-svc over gRPC", () => {
  it("gives 20 concurrent saves of one (case, type) versions 1..20, one current, the current hash at v20", async () => {
    const c = caseId();
    // Chroma takes the 20 upserts one at a time: allow for a slow machine (the point is the versions).
    const saved = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        svc.client.saveReport(
          {
            caseId: c,
            type: ReportType.INCIDENT_REPORT,
            status: ReportStatus.FINAL,
            content: `incident draft ${i}`,
            createdBy: "user_abc",
          },
          { timeoutMs: 30_000 },
        ),
      ),
    );
    const versions = saved.map((s) => s.report!.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const { reports } = await svc.client.listReportVersions({ caseId: c, type: ReportType.INCIDENT_REPORT, pageSize: 100 });
    expect(reports.map((r) => r.version)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
    expect(reports.filter((r) => r.isCurrent)).toHaveLength(1);
    const v20 = reports.find((r) => r.version === 20)!;
    expect(v20.isCurrent).toBe(true);
    expect(await redis.admin.hget(`case:{${c}}:reports:current`, "INCIDENT_REPORT")).toBe(v20.reportId);
    const flags = await Promise.all(reports.map((r) => redis.admin.hget(reportKeys.metadata(r.reportId), "is_current")));
    expect(flags.filter((f) => f === "true")).toHaveLength(1);
    expect(await contentIn(reports.map((r) => r.reportId))).toHaveLength(20);
  });

  it("gets metadata, and content on request, from both stores", async () => {
    const c = caseId();
    const { report } = await save(c, ReportType.RUNBOOK, "Restart the ingest workers, then drain the queue.");
    expect(report).toMatchObject({
      caseId: c,
      type: ReportType.RUNBOOK,
      version: 1,
      status: ReportStatus.FINAL,
      createdBy: "user_abc",
      isCurrent: true,
      content: "",
    });
    expect(report!.contentLocation).toBe(`chromadb://faultmaven_case_reports/${report!.reportId}`);
    const withContent = await svc.client.getReport({ reportId: report!.reportId, includeContent: true });
    expect(withContent.report!.content).toBe("Restart the ingest workers, then drain the queue.");
    const current = await svc.client.getCurrentReports({ caseId: c });
    expect(current.reports.map((r) => r.reportId)).toEqual([report!.reportId]);
    const listed = await svc.client.listCaseReports({ caseId: c });
    expect(listed.reports.map((r) => r.reportId)).toEqual([report!.reportId]);
  });

  it("closes and reopens a case: 90-day TTL on every report key, then none", async () => {
    const c = caseId();
    const a = (await save(c)).report!;
    const b = (await save(c, ReportType.POST_MORTEM)).report!;
    const keys = [
      `case:{${c}}:reports`,
      `case:{${c}}:reports:RCA_REPORT`,
      `case:{${c}}:reports:POST_MORTEM`,
      `case:{${c}}:reports:current`,
      reportKeys.metadata(a.reportId),
      reportKeys.metadata(b.reportId),
    ];
    const closed = await svc.client.closeCase({ caseId: c });
    expect(Number(closed.expiresAt!.seconds) - Date.now() / 1000).toBeGreaterThan(90 * 86_400 - 60);
    for (const key of keys) {
      const ttl = await redis.admin.ttl(key);
      expect(ttl).toBeGreaterThan(90 * 86_400 - 60);
      expect(ttl).toBeLessThanOrEqual(90 * 86_400);
    }
    await svc.client.reopenCase({ caseId: c });
    for (const key of keys) expect(await redis.admin.ttl(key)).toBe(-1);
    expect((await failure(svc.client.closeCase({ caseId: "case_without_reports" }))).code).toBe(status.NOT_FOUND);
  });

  it("remembers a closure after DeleteReport of every report: the next save gets the closure TTL; ReopenCase then clears it", async () => {
    const c = caseId();
    const only = (await save(c)).report!;
    await svc.client.closeCase({ caseId: c });
    await svc.client.deleteReport({ reportId: only.reportId });
    expect((await failure(svc.client.closeCase({ caseId: c }))).code).toBe(status.NOT_FOUND);
    const late = (await save(c)).report!;
    const keys = [
      `case:{${c}}:reports`,
      `case:{${c}}:reports:RCA_REPORT`,
      `case:{${c}}:reports:current`,
      reportKeys.metadata(late.reportId),
    ];
    for (const key of keys) expect(await redis.admin.ttl(key)).toBeGreaterThan(90 * 86_400 - 60);
    await svc.client.deleteReport({ reportId: late.reportId });
    await svc.client.reopenCase({ caseId: c });
    expect(await redis.admin.exists(`case:{${c}}:closed`)).toBe(0);
    expect((await failure(svc.client.reopenCase({ caseId: c }))).code).toBe(status.NOT_FOUND);
    const open = (await save(c)).report!;
    expect(await redis.admin.ttl(reportKeys.metadata(open.reportId))).toBe(-1);
  });

  it("forgets a closed case on DeleteCaseReports: the next save gets no TTL", async () => {
    const c = caseId();
    await save(c);
    await svc.client.closeCase({ caseId: c });
    await svc.client.deleteCaseReports({ caseId: c });
    expect(await redis.admin.exists(`case:{${c}}:closed`)).toBe(0);
    const fresh = (await save(c)).report!;
    for (const key of [`case:{${c}}:reports`, reportKeys.metadata(fresh.reportId)]) expect(await redis.admin.ttl(key)).toBe(-1);
  });

  it("deletes a report and a case's reports from both stores", async () => {
    const c = caseId();
    const v1 = (await save(c)).report!;
    const v2 = (await save(c)).report!;
    const other = (await save(c, ReportType.RUNBOOK)).report!;
    await svc.client.deleteReport({ reportId: v2.reportId });
    expect(await contentIn([v2.reportId])).toEqual([]);
    expect((await svc.client.getReport({ reportId: v1.reportId })).report!.isCurrent).toBe(true);
    expect((await failure(svc.client.deleteReport({ reportId: v2.reportId }))).code).toBe(status.NOT_FOUND);
    await svc.client.deleteReport({ reportId: v2.reportId, allowMissing: true });
    expect((await svc.client.deleteCaseReports({ caseId: c })).deletedCount).toBe(2);
    expect(await contentIn([v1.reportId, other.reportId])).toEqual([]);
    expect(await redis.admin.keys(`case:{${c}}:*`)).toEqual([]);
  });

  it("fails clearly when a report's content is gone instead of returning empty content", async () => {
    const { report } = await save(caseId());
    const client = new ChromaClient({ host: "127.0.0.1", port: chroma.port });
    const collection = await client.getCollection({ name: "faultmaven_case_reports", embeddingFunction: null as never });
    await collection.delete({ ids: [report!.reportId] });
    const result = await failure(svc.client.getReport({ reportId: report!.reportId, includeContent: true }));
    expect(result.code).toBe(status.FAILED_PRECONDITION);
    expect(result.reason).toBe("CONTENT_MISSING");
  });

  describe("bad input gets INVALID_ARGUMENT naming the field", () => {
    const cases: [string, () => Promise<unknown>, string][] = [
      ["empty case_id", () => svc.client.saveReport({ caseId: "", type: ReportType.RUNBOOK, content: "x", createdBy: "u" }), "case_id"],
      ["case_id x:*", () => svc.client.saveReport({ caseId: "x:*", type: ReportType.RUNBOOK, content: "x", createdBy: "u" }), "case_id"],
      ["case_id a}{b", () => svc.client.listCaseReports({ caseId: "a}{b" }), "case_id"],
      ["10 KB case_id", () => svc.client.closeCase({ caseId: "c".repeat(10_240) }), "case_id"],
      ["no type", () => svc.client.saveReport({ caseId: "c", content: "x", createdBy: "u" }), "type"],
      ["no content", () => svc.client.saveReport({ caseId: "c", type: ReportType.RUNBOOK, createdBy: "u" }), "content"],
      [
        "oversized content",
        () => svc.client.saveReport({ caseId: "c", type: ReportType.RUNBOOK, content: "x".repeat(200_001), createdBy: "u" }),
        "content",
      ],
      [
        "created_by ../",
        () => svc.client.saveReport({ caseId: "c", type: ReportType.RUNBOOK, content: "x", createdBy: "../" }),
        "created_by",
      ],
      ["malformed report_id", () => svc.client.getReport({ reportId: "rep_*" }), "report_id"],
      ["no created_by", () => svc.client.saveReport({ caseId: "c", type: ReportType.RUNBOOK, content: "x" }), "created_by"],
      ["blank content", () => svc.client.saveReport({ caseId: "c", type: ReportType.RUNBOOK, content: " \n ", createdBy: "u" }), "content"],
      [
        "undefined status",
        () => svc.client.saveReport({ caseId: "c", type: ReportType.RUNBOOK, status: 7 as ReportStatus, content: "x", createdBy: "u" }),
        "status",
      ],
      ["empty query", () => svc.client.searchReports({ query: " " }), "query"],
      ["negative limit", () => svc.client.searchReports({ query: "disk", limit: -1 }), "limit"],
      ["min_score above 1", () => svc.client.searchReports({ query: "disk", minScore: 1.5 }), "min_score"],
      ["search case_id x:*", () => svc.client.searchReports({ query: "disk", caseId: "x:*" }), "case_id"],
      ["negative page size", () => svc.client.listCaseReports({ caseId: "c", pageSize: -1 }), "page_size"],
      ["versions without type", () => svc.client.listReportVersions({ caseId: "c" }), "type"],
      ["forged page token", () => svc.client.listCaseReports({ caseId: "c", pageToken: "x" }), "page_token"],
    ];
    it.each(cases)("%s", async (_, call, field) => {
      const result = await failure(call());
      expect(result.code).toBe(status.INVALID_ARGUMENT);
      expect(result.fields).toEqual([field]);
    });
  });

  it("serves reflection", async () => {
    expect(await listMethods(svc.service.address)).toContain("faultmaven.report.v1.ReportService/SaveReport");
  });
});

describe("report-svc with a store down", () => {
  it("Chroma stopped: Save is UNAVAILABLE and leaves no metadata; health NOT_SERVING; both recover", async () => {
    const c = caseId();
    await save(c);
    await chroma.stop();
    const started = Date.now();
    const result = await failure(
      svc.client.saveReport({ caseId: c, type: ReportType.RCA_REPORT, content: "lost?", createdBy: "user_abc" }, { timeoutMs: 3000 }),
    );
    expect(result.code).toBe(status.UNAVAILABLE);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await redis.admin.zcard(`case:{${c}}:reports`)).toBe(1);
    expect(await redis.admin.zcard(`case:{${c}}:reports:RCA_REPORT`)).toBe(1);
    await waitFor("NOT_SERVING", async () => !(await svc.serving()), 5000);
    await chroma.start();
    await waitFor("SERVING again", () => svc.serving(), 15_000);
    expect((await save(c)).report!.version).toBe(2);
  }, 60_000);

  it("Redis killed during a save, after the content write: UNAVAILABLE, and that content is compensated away", async () => {
    // Its own Redis and service, reaching Chroma through a tap that kills Redis between the content write and the metadata write.
    const ownRedis = await RedisServer.start();
    const isContentWrite = (e: TappedExchange) =>
      e.method === "POST" && e.path.endsWith("/upsert") && e.body.includes("compensate me please");
    let own: Awaited<ReturnType<typeof startReportService>> | undefined;
    const tap = await HttpTap.start({ host: "127.0.0.1", port: chroma.port }, async (exchange) => {
      if (!isContentWrite(exchange)) return;
      await ownRedis.stop();
      // The service has seen the connection drop (health follows it) before it gets Chroma's answer.
      await waitFor("NOT_SERVING", async () => !(await own!.serving()), 5000);
    });
    try {
      own = await startReportService({ ...ownRedis.env, CHROMA_URL: tap.url, CHROMA_TIMEOUT_MS: "10000" });
      const result = await failure(
        own.client.saveReport(
          { caseId: caseId(), type: ReportType.RCA_REPORT, content: "compensate me please", createdBy: "user_abc" },
          { timeoutMs: 8000 },
        ),
      );
      expect(result.code).toBe(status.UNAVAILABLE);

      // The content was written first, and written successfully...
      const writes = tap.exchanges.filter(isContentWrite);
      expect(writes.map((w) => w.status)).toEqual([200]);
      const [reportId] = (JSON.parse(writes[0]!.body) as { ids: string[] }).ids;
      expect(reportId).toMatch(/^rep_/);
      // ...then removed again by the failed save itself (no reconciler run: it waits 5 minutes), and no metadata exists.
      expect(await contentIn([reportId!])).toEqual([]);
      await ownRedis.start();
      expect(await ownRedis.admin.exists(reportKeys.metadata(reportId))).toBe(0);
    } finally {
      await own?.stop();
      await tap.close();
      await ownRedis.close();
    }
  }, 60_000);
});
