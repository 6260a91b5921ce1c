import { status } from "@grpc/grpc-js";
import { ChromaClient } from "chromadb";
import { ReportStatus, ReportType } from "@faultmaven/contract/report";
import type { ChromaServer, RedisServer } from "@faultmaven/test-kit";
import { MAX_VERSIONS_PER_TYPE } from "../src/domain/report.js";
import { failure, reportServiceOnFreshStores, type startReportService } from "./report-harness.js";

/** The per-case report limit as callers meet it: a real process on a real Redis and a real ChromaDB. */
let redis: RedisServer;
let chroma: ChromaServer;
let svc: Awaited<ReturnType<typeof startReportService>>;

reportServiceOnFreshStores({ CHROMA_TIMEOUT_MS: "10000" }, (started) => ({ redis, chroma, svc } = started));

const save = (caseId: string, content: string) =>
  svc.client.saveReport(
    { caseId, type: ReportType.RUNBOOK, status: ReportStatus.FINAL, content, createdBy: "user_abc" },
    { timeoutMs: 30_000 },
  );

describe("report-svc limits over gRPC", () => {
  it(`refuses a save when the case has ${MAX_VERSIONS_PER_TYPE} reports of the type, naming the limit, and keeps none of its content`, async () => {
    const saved = await save("case_full", "the first runbook");
    // The other versions as index entries only (saving them all would take a while): the limit counts the type's index.
    const typeIndex = "case:{case_full}:reports:RUNBOOK";
    const filler = Array.from({ length: MAX_VERSIONS_PER_TYPE - 1 }, (_, i) => [
      String(-(i + 2)),
      `rep_filler${String(i).padStart(12, "0")}`,
    ]);
    await redis.admin.zadd(typeIndex, ...filler.flat());
    const refused = await failure(save("case_full", "one too many"));
    expect(refused).toMatchObject({ code: status.FAILED_PRECONDITION, reason: "LIMIT_EXCEEDED", subjects: ["report.versions_per_type"] });
    expect(await redis.admin.zcard(typeIndex)).toBe(MAX_VERSIONS_PER_TYPE);
    expect(await redis.admin.zrange("case:{case_full}:reports", "0", "-1")).toEqual([saved.report!.reportId]);
    const client = new ChromaClient({ host: "127.0.0.1", port: chroma.port });
    const collection = await client.getCollection({ name: "faultmaven_case_reports", embeddingFunction: null as never });
    const stored = await collection.get({ where: { case_id: "case_full" }, include: ["documents" as never] });
    expect(stored.documents).toEqual(["the first runbook"]);
  }, 120_000);
});
