import { create } from "@bufbuild/protobuf";
import { credentials, makeGenericClientConstructor, status, type Client, type ServiceError } from "@grpc/grpc-js";
import { ChromaClient } from "chromadb";
import { pino } from "pino";
import { ReportService, ReportStatus, ReportType, SaveReportRequestSchema } from "@faultmaven/contract/report";
import { toServiceDefinition } from "@faultmaven/grpc-kit";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";
import { EnvReader } from "@faultmaven/config";
import { ChromaServer, RedisServer, waitFor } from "@faultmaven/test-kit";
import { ChromaContentStore } from "../src/chroma/chroma-content-store.js";
import { HashingEmbedder } from "../src/domain/hashing-embedder.js";
import { Reports } from "../src/domain/reports.js";
import { RedisReportStore } from "../src/redis/redis-report-store.js";
import { failure, startReportService } from "./report-harness.js";

/** The caller's deadline and cancellation reach ChromaDB: report-svc as a real process, Chroma frozen with SIGSTOP. */
let redis: RedisServer;
let chroma: ChromaServer;
let svc: Awaited<ReturnType<typeof startReportService>>;

beforeAll(async () => {
  [redis, chroma] = await Promise.all([RedisServer.start(), ChromaServer.start()]);
  // A fixed Chroma timeout far beyond the deadlines used here: only the call can stop the work.
  svc = await startReportService({ ...redis.env, ...chroma.env, CHROMA_TIMEOUT_MS: "30000" });
  // Opens the collection, so the calls below make exactly one Chroma request (the upsert).
  await svc.client.saveReport(saveRequest("case_warm"), { timeoutMs: 30_000 });
}, 60_000);
afterAll(async () => {
  chroma?.resume();
  await svc?.stop();
  await Promise.all([redis?.close(), chroma?.close()]);
});
afterEach(() => chroma.resume());

function saveRequest(caseId: string) {
  return { caseId, type: ReportType.RCA_REPORT, status: ReportStatus.FINAL, content: `root cause for ${caseId}`, createdBy: "user_abc" };
}

/** Ids of the content Chroma holds for a case. */
async function contentOf(caseId: string): Promise<string[]> {
  const client = new ChromaClient({ host: "127.0.0.1", port: chroma.port });
  const collection = await client.getCollection({ name: "faultmaven_case_reports", embeddingFunction: null as never });
  return (await collection.get({ where: { case_id: caseId } })).ids;
}

/**
 * Every Redis key about a case's reports: its report indexes, and metadata
 * hashes of its reports (a bare save intent, with no report_id, is not one).
 */
async function redisKeysOf(caseId: string): Promise<string[]> {
  const caseKeys = await redis.admin.keys(`case:{${caseId}}:*`);
  const metadata = await redis.admin.keys("report:*:metadata");
  const owners = await Promise.all(metadata.map((key) => redis.admin.hmget(key, "case_id", "report_id")));
  return [...caseKeys, ...metadata.filter((_, i) => owners[i]![0] === caseId && owners[i]![1] !== null)];
}

const rpcLine = (code: string) => () =>
  svc.service.logs.find((l) => l.msg === "rpc" && l.method === "faultmaven.report.v1.ReportService/SaveReport" && l.code === code);

describe("report-svc under the caller's deadline", () => {
  it("a SaveReport whose deadline expires while Chroma is frozen writes no metadata once Chroma resumes, and leaves no content after reconciliation", async () => {
    chroma.pause();
    const started = Date.now();
    const result = await failure(svc.client.saveReport(saveRequest("case_frozen"), { timeoutMs: 800 }));
    expect(result.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(5000);
    await waitFor("the rpc line", () => rpcLine("DEADLINE_EXCEEDED")() !== undefined);
    expect(rpcLine("DEADLINE_EXCEEDED")()).toMatchObject({
      cause: expect.stringMatching(/^chromadb POST \/api\/v2\/.+\/upsert aborted: the call ended$/),
    });

    chroma.resume();
    // Chroma reads the upsert that sat in its socket and may apply it: give it time, then look.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await redisKeysOf("case_frozen")).toEqual([]);
    const landed = await contentOf("case_frozen");

    // Whatever content landed, the service's own reconciliation (run in-process against the same stores) removes
    // it all: its save intent has passed (the call's deadline bounded it) and no metadata was committed.
    const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "reconcile-test");
    await client.connect();
    try {
      const reports = new Reports(
        new RedisReportStore(client, "standalone"),
        new ChromaContentStore(chroma.url, "faultmaven-hashing-v1", 10_000),
        new HashingEmbedder(),
        pino({ level: "silent" }),
      );
      expect((await reports.reconcile()).deleted).toBe(landed.length);
    } finally {
      client.disconnect();
    }
    expect(await contentOf("case_frozen")).toEqual([]);
    expect(await contentOf("case_warm")).toHaveLength(1);
  }, 30_000);

  it("a SaveReport cancelled by its caller while Chroma is frozen aborts the Chroma request and writes no metadata", async () => {
    const Client = makeGenericClientConstructor(toServiceDefinition(ReportService), "ReportService");
    const raw = new Client(svc.service.address, credentials.createInsecure()) as Client &
      Record<string, (...args: unknown[]) => { cancel(): void }>;
    chroma.pause();
    try {
      const answered = new Promise<ServiceError | null>((resolve) => {
        const call = raw.saveReport!(
          create(SaveReportRequestSchema, saveRequest("case_cancelled")),
          { deadline: Date.now() + 20_000 },
          (error: ServiceError | null) => resolve(error),
        );
        setTimeout(() => call.cancel(), 400);
      });
      expect((await answered)?.code).toBe(status.CANCELLED);
      await waitFor("the rpc line", () => rpcLine("CANCELLED")() !== undefined);
      expect(rpcLine("CANCELLED")()).toMatchObject({
        reason: "CANCELLED",
        cause: expect.stringMatching(/^chromadb POST \/api\/v2\/.+\/upsert aborted: the call ended$/),
      });
      // The service answered its side while Chroma is still frozen: the request was aborted, not waited for.
      expect(rpcLine("CANCELLED")()!.duration_ms).toBeLessThan(5000);
    } finally {
      raw.close();
      chroma.resume();
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await redisKeysOf("case_cancelled")).toEqual([]);
  }, 30_000);
});
