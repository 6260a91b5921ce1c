import { ChromaClient } from "chromadb";
import { pino } from "pino";
import { EnvReader } from "@faultmaven/config";
import { createRedisClient, readRedisConfig, type RedisClient } from "@faultmaven/redis";
import { ChromaServer, RedisServer } from "@faultmaven/test-kit";
import { ChromaContentStore } from "../src/chroma/chroma-content-store.js";
import { HashingEmbedder } from "../src/domain/hashing-embedder.js";
import { CONTENT_COLLECTION, type NewReport } from "../src/domain/report.js";
import { DEFAULT_REPORTS_POLICY, Reports, type ReportsPolicy } from "../src/domain/reports.js";
import { RedisReportStore } from "../src/redis/redis-report-store.js";
import { newCaseReportId, reportKeys } from "../src/redis/keys.js";

/** Reconciliation (issue 9 item 7) on a real Redis and a real ChromaDB, run on demand. */
let redis: RedisServer;
let chroma: ChromaServer;
let client: RedisClient;
beforeAll(async () => {
  [redis, chroma] = await Promise.all([RedisServer.start(), ChromaServer.start()]);
  client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "reconcile-test");
  await client.connect();
}, 60_000);
afterAll(async () => {
  client?.disconnect();
  await Promise.all([redis?.close(), chroma?.close()]);
});
beforeEach(async () => {
  await redis.admin.flushall();
  await new ChromaClient({ host: "127.0.0.1", port: chroma.port }).deleteCollection({ name: CONTENT_COLLECTION }).catch(() => undefined);
});

const embedder = new HashingEmbedder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Fresh stores per test (the content store caches its collection handle). */
function open(policy: Partial<ReportsPolicy> = {}) {
  const content = new ChromaContentStore(chroma.url, embedder.model, 10_000);
  const store = new RedisReportStore(client);
  const reports = new Reports(store, content, embedder, pino({ level: "silent" }), () => false, { ...DEFAULT_REPORTS_POLICY, ...policy });
  return { content, store, reports };
}

const meta = (caseId: string) => ({ caseId, type: "RCA_REPORT" as const, status: "final" as const, title: "", createdBy: "u" });

/** A save that wrote its intent and content and then failed before its commit, as a stalled Redis leaves it. */
async function failedSave(stores: ReturnType<typeof open>, caseId: string, windowMs = 30): Promise<NewReport> {
  const report = { ...meta(caseId), reportId: newCaseReportId(caseId) };
  await stores.store.recordIntent(report, windowMs);
  const [vector] = await embedder.embed([`content of ${report.reportId}`]);
  await stores.content.put(report.reportId, `content of ${report.reportId}`, vector!, report);
  return report;
}

it("against an emptied Redis (FLUSHALL after the saves) deletes nothing and counts the content as orphans", async () => {
  const stores = open();
  const saved = await Promise.all(
    Array.from({ length: 5 }, (_, i) => stores.reports.save({ ...meta("case_flushed"), content: `report ${i}` })),
  );
  await redis.admin.flushall();
  expect(await stores.reports.reconcile()).toEqual({ examined: 5, failed: 0, deleted: 0, orphans: 5, deferred: 0 });
  for (const report of saved) expect(await stores.content.get(report.reportId)).toBe(`report ${saved.indexOf(report)}`);
}, 30_000);

it("against a fresh Redis pointed at an existing collection deletes nothing", async () => {
  const stores = open();
  const saved = await stores.reports.save({ ...meta("case_moved"), content: "the only copy" });
  const fresh = await RedisServer.start();
  const other = createRedisClient(readRedisConfig(new EnvReader(fresh.env)), "reconcile-fresh");
  await other.connect();
  try {
    const moved = new Reports(new RedisReportStore(other), stores.content, embedder, pino({ level: "silent" }));
    expect(await moved.reconcile()).toMatchObject({ examined: 1, deleted: 0, orphans: 1 });
    expect(await stores.content.get(saved.reportId)).toBe("the only copy");
  } finally {
    other.disconnect();
    await fresh.close();
  }
}, 30_000);

it("deletes the content and intent of a failed save once its intent has passed, and keeps saved and pending content", async () => {
  const stores = open();
  const saved = await stores.reports.save({ ...meta("case_mixed"), content: "saved report" });
  const failed = await failedSave(stores, "case_mixed");
  const pending = await failedSave(stores, "case_mixed", 60_000);
  await sleep(100);
  expect(await stores.reports.reconcile()).toEqual({ examined: 3, failed: 1, deleted: 1, orphans: 0, deferred: 0 });
  expect(await stores.content.get(failed.reportId)).toBeUndefined();
  expect(await redis.admin.exists(reportKeys.metadata(failed.reportId))).toBe(0);
  expect(await stores.content.get(pending.reportId)).toBe(`content of ${pending.reportId}`);
  expect(await redis.admin.hget(reportKeys.metadata(pending.reportId), "save_intent")).not.toBeNull();
  expect(await stores.content.get(saved.reportId)).toBe("saved report");
  // The failed save can never commit now: its intent is gone.
  await expect(stores.store.save(failed)).rejects.toThrow("redis is unavailable");
}, 30_000);

it("deletes no more than the allowed share in one pass, and the rest in the next passes", async () => {
  const strict = open({ reconcileMaxDeletes: 2, reconcileMaxDeletePercent: 5 });
  const failed = await Promise.all(Array.from({ length: 3 }, () => failedSave(strict, "case_many")));
  await sleep(100);
  expect(await strict.reports.reconcile()).toEqual({ examined: 3, failed: 3, deleted: 2, orphans: 0, deferred: 1 });
  const left = [];
  for (const report of failed) if ((await strict.content.get(report.reportId)) !== undefined) left.push(report.reportId);
  expect(left).toHaveLength(1);
  expect(await strict.reports.reconcile()).toEqual({ examined: 1, failed: 1, deleted: 1, orphans: 0, deferred: 0 });
  for (const report of failed) expect(await strict.content.get(report.reportId)).toBeUndefined();
}, 30_000);
