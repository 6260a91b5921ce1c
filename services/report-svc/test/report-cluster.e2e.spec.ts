import { ReportStatus, ReportType } from "@faultmaven/contract/report";
import { Cluster } from "ioredis";
import { ChromaServer, RedisCluster } from "@faultmaven/test-kit";
import { startReportService } from "./report-harness.js";
import { reportKeys } from "../src/redis/keys.js";

/** report-svc on a real 3-master Redis Cluster (REDIS_CLUSTER_NODES). */
it("saves concurrently with gapless versions, closes and reopens a case, on Redis Cluster", async () => {
  const [cluster, chroma] = await Promise.all([RedisCluster.start(), ChromaServer.start()]);
  const svc = await startReportService({ ...cluster.env, ...chroma.env });
  try {
    const saved = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        svc.client.saveReport(
          { caseId: "cluster_case", type: ReportType.RCA_REPORT, status: ReportStatus.DRAFT, content: `draft ${i}`, createdBy: "user_abc" },
          { timeoutMs: 30_000 },
        ),
      ),
    );
    expect(saved.map((s) => s.report!.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const { reports } = await svc.client.listReportVersions({ caseId: "cluster_case", type: ReportType.RCA_REPORT, pageSize: 50 });
    expect(reports.filter((r) => r.isCurrent).map((r) => r.version)).toEqual([12]);
    const current = await svc.client.getCurrentReports({ caseId: "cluster_case" });
    expect(current.reports.map((r) => r.version)).toEqual([12]);

    const got = await svc.client.getReport({ reportId: reports[0]!.reportId, includeContent: true });
    expect(got.report!.content).toMatch(/^draft \d+$/);

    const admin = new Cluster([{ host: "127.0.0.1", port: cluster.ports[0]! }]);
    try {
      const keys = [
        "case:{cluster_case}:reports",
        "case:{cluster_case}:reports:RCA_REPORT",
        "case:{cluster_case}:reports:current",
        reportKeys.metadata(reports[0]!.reportId),
      ];
      await svc.client.closeCase({ caseId: "cluster_case" });
      for (const key of keys) expect(await admin.ttl(key)).toBeGreaterThan(90 * 86_400 - 60);
      await svc.client.reopenCase({ caseId: "cluster_case" });
      for (const key of keys) expect(await admin.ttl(key)).toBe(-1);
    } finally {
      admin.disconnect();
    }
    expect((await svc.client.deleteCaseReports({ caseId: "cluster_case" })).deletedCount).toBe(12);
  } finally {
    await svc.stop();
    await Promise.all([cluster.close(), chroma.close()]);
  }
}, 90_000);
