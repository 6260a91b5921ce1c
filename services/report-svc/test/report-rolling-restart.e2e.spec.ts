import { ReportService, ReportStatus, ReportType } from "@faultmaven/contract/report";
import { createClient } from "@faultmaven/grpc-kit";
import {
  callerServiceConfig,
  ChromaServer,
  freePorts,
  RedisServer,
  ServiceProcess,
  steadyLoad,
  rollingRestartUnderLoad,
} from "@faultmaven/test-kit";
import { ENTRY } from "./report-harness.js";

describe("report-svc rolling restart of two replicas under load (real processes, one real Redis and ChromaDB)", () => {
  let redis: RedisServer;
  let chroma: ChromaServer;
  const replicas: ServiceProcess[] = [];
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop("SIGKILL")));
    await Promise.all([redis?.close(), chroma?.close()]);
  });

  it("restarts each replica in turn under GetCurrentReports, ListCaseReports and SaveReport load: 0 failed calls, one version per save, both replicas serve before and after", async () => {
    [redis, chroma] = await Promise.all([RedisServer.start(), ChromaServer.start()]);
    const ports = await freePorts(2);
    const start = async (i: number) => {
      const replica = await ServiceProcess.start(ENTRY, {
        ...redis.env,
        ...chroma.env,
        CHROMA_TIMEOUT_MS: "10000",
        GRPC_PORT: String(ports[i]),
        GRPC_SHUTDOWN_GRACE_MS: "20000",
      });
      replicas.push(replica);
      return replica;
    };
    const first = [await start(0), await start(1)];
    const client = createClient(
      ReportService,
      first.map((replica) => replica.address),
      { serviceConfig: callerServiceConfig() },
    );
    const cases = Array.from({ length: 10 }, (_, i) => `case_rolling_${i}`);
    const began = Date.now();
    // SaveReport goes without a key (the client fills one) at ~10/s: ChromaDB upserts bound saves.
    const load = steadyLoad((n) => {
      const caseId = cases[n % cases.length]!;
      return {
        GetCurrentReports: client.getCurrentReports({ caseId }),
        ListCaseReports: client.listCaseReports({ caseId }),
        ...(n % 10 === 0
          ? {
              SaveReport: client.saveReport(
                {
                  caseId: cases[(n / 10) % cases.length]!,
                  type: ReportType.RCA_REPORT,
                  status: ReportStatus.DRAFT,
                  content: `draft ${n}`,
                  createdBy: "user_rolling",
                },
                { timeoutMs: 30_000 },
              ),
            }
          : {}),
      };
    });
    const run = await rollingRestartUnderLoad("report-svc", first, start, load, began);
    // Every save was applied once, retried or not: as many versions as SaveReport calls.
    const versions = await Promise.all(
      cases.map(async (caseId) => (await client.listReportVersions({ caseId, type: ReportType.RCA_REPORT, pageSize: 100 })).reports.length),
    );
    client.close();
    console.log(`report-svc rolling restart: ${run.byMethod.SaveReport} saves, ${versions.reduce((a, b) => a + b, 0)} versions`);
    expect(run.failures).toEqual([]);
    expect(versions.reduce((a, b) => a + b, 0)).toBe(run.byMethod.SaveReport);
    expect(run.exitCodes).toEqual([0, 0]);
    expect(run.before.every((count) => count >= 50)).toBe(true);
    expect(run.after.every((count) => count >= 50)).toBe(true);
  }, 180_000);
});
