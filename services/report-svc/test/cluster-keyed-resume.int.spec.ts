import { runInCallScope, type CallScope } from "@faultmaven/call-scope";
import { EnvReader } from "@faultmaven/config";
import { UnavailableError } from "@faultmaven/errors";
import { createRedisClient, neverReachedRedis, readRedisConfig, type LuaScript, type RedisClient } from "@faultmaven/redis";
import { RedisCluster } from "@faultmaven/test-kit";
import { ReplyError } from "ioredis";
import pino from "pino";
import { HashingEmbedder } from "../src/domain/hashing-embedder.js";
import { Reports } from "../src/domain/reports.js";
import { ADVANCE_CURRENT, DELETE_METADATA, RETREAT_CURRENT, SET_CURRENT_FLAG } from "../src/redis/cluster-scripts.js";
import { RECORD_REPLY } from "../src/redis/idempotency-scripts.js";
import { RedisReportStore } from "../src/redis/redis-report-store.js";
import { mapContentStore } from "./fixtures/map-content-store.js";

// Cluster saves and deletes run in steps; a step failing midway must leave a state a keyed retry finishes.
let cluster: RedisCluster;
let client: RedisClient;
let store: RedisReportStore;
let reports: Reports;
const contentStore = mapContentStore();
const content = contentStore.texts;

beforeAll(async () => {
  cluster = await RedisCluster.start();
  client = createRedisClient(readRedisConfig(new EnvReader(cluster.env)), "cluster-keyed-resume");
  await client.connect();
  store = new RedisReportStore(client, "cluster");
  reports = new Reports(store, contentStore, new HashingEmbedder(), pino({ level: "silent" }), neverReachedRedis);
}, 60_000);

afterAll(async () => {
  await store?.close();
  await cluster?.close();
});

const late = () => new ReplyError("LATE the script reached Redis after its not-after bound and did nothing");
const timedOut = () => new Error("Command timed out");

/** Makes the next run of `script` fail with `failure()`; with `afterRunning`, the script runs first (its reply is lost). */
function failNext(script: LuaScript, failure: () => Error, afterRunning = false): void {
  const original = script.run.bind(script);
  script.run = async (...args) => {
    script.run = original;
    if (afterRunning) await original(...args);
    throw failure();
  };
}

function scope(idempotencyKey?: string): CallScope {
  const base = { deadline: undefined, signal: new AbortController().signal };
  if (idempotencyKey === undefined) return base;
  return { ...base, idempotency: { name: idempotencyKey, fingerprint: idempotencyKey.padEnd(64, "f").slice(0, 64), windowMs: 60_000 } };
}

const input = (caseId: string) =>
  ({ caseId, type: "RCA_REPORT", status: "final", title: "t", createdBy: "u", content: "the analysis" }) as const;

async function failureOf(call: () => Promise<unknown>): Promise<unknown> {
  return call().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("SaveReport on Cluster", () => {
  it.each([
    ["LATE", late],
    ["timed out", timedOut],
  ])(
    "a keyed save whose record step fails (%s) answers OUTCOME_UNKNOWN; the retry answers the same report, no second one",
    async (label, failure) => {
      const caseId = `case_rec_${label.replace(" ", "_")}`;
      failNext(RECORD_REPLY, failure);
      const first = await failureOf(() => runInCallScope(scope("SaveReport:k1"), () => reports.save(input(caseId))));
      expect(first).toBeInstanceOf(UnavailableError);
      expect((first as UnavailableError).reason).toBe("OUTCOME_UNKNOWN");
      const [visible] = await store.current(caseId);
      expect(await contentStore.get(visible!.reportId)).toBe("the analysis");

      const retry = await runInCallScope(scope("SaveReport:k1"), () => reports.save(input(caseId)));
      expect([retry.reportId, retry.version, retry.isCurrent]).toEqual([visible!.reportId, 1, true]);
      expect((await store.listVersions(caseId, "RCA_REPORT", 0, 10)).reports.map((r) => r.reportId)).toEqual([visible!.reportId]);
    },
    30_000,
  );

  it("an unkeyed save whose ADVANCE_CURRENT arrives LATE after the commit answers OUTCOME_UNKNOWN and keeps its content", async () => {
    const caseId = "case_adv_unkeyed";
    failNext(ADVANCE_CURRENT, late);
    const first = await failureOf(() => runInCallScope(scope(), () => reports.save(input(caseId))));
    expect((first as UnavailableError).reason).toBe("OUTCOME_UNKNOWN");
    const listed = await store.listByCase(caseId, 0, 10);
    expect(listed.reports).toHaveLength(1);
    expect((await reports.get(listed.reports[0]!.reportId, true)).content).toBe("the analysis");
  }, 30_000);

  it("a keyed retry after ADVANCE_CURRENT failed finishes the save: the report becomes current and its predecessor is not", async () => {
    const caseId = "case_adv_keyed";
    const v1 = await runInCallScope(scope(), () => reports.save(input(caseId)));
    failNext(ADVANCE_CURRENT, late);
    const first = await failureOf(() => runInCallScope(scope("SaveReport:k2"), () => reports.save(input(caseId))));
    expect((first as UnavailableError).reason).toBe("OUTCOME_UNKNOWN");
    expect((await store.current(caseId)).map((r) => r.reportId)).toEqual([v1.reportId]);

    const retry = await runInCallScope(scope("SaveReport:k2"), () => reports.save(input(caseId)));
    expect([retry.version, retry.isCurrent]).toEqual([2, true]);
    expect((await store.current(caseId)).map((r) => r.reportId)).toEqual([retry.reportId]);
    expect((await store.get(v1.reportId))?.isCurrent).toBe(false);
    expect((await store.get(retry.reportId))?.isCurrent).toBe(true);
    expect((await store.listByCase(caseId, 0, 10)).reports).toHaveLength(2);
  }, 30_000);

  it("a keyed retry overtaken by a newer save clears the flag its first attempt left on the report it replaced", async () => {
    const caseId = "case_flag_overtaken";
    const v1 = await runInCallScope(scope(), () => reports.save(input(caseId)));
    // The first attempt moves the pointer from v1, then fails before any flag is written.
    failNext(SET_CURRENT_FLAG, late);
    await expect(runInCallScope(scope("SaveReport:k4"), () => reports.save(input(caseId)))).rejects.toBeInstanceOf(UnavailableError);
    const v3 = await runInCallScope(scope(), () => reports.save(input(caseId)));

    const retry = await runInCallScope(scope("SaveReport:k4"), () => reports.save(input(caseId)));
    expect([retry.version, retry.isCurrent, v3.version]).toEqual([2, false, 3]);
    const flags = (await store.listVersions(caseId, "RCA_REPORT", 0, 10)).reports.map((r) => [r.version, r.isCurrent]);
    expect(flags).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);
    expect((await store.current(caseId)).map((r) => r.reportId)).toEqual([v3.reportId]);
    expect(v1.version).toBe(1);
  }, 30_000);

  it("concurrent attempts with one key converge on one report", async () => {
    const caseId = "case_concurrent";
    const attempts = await Promise.all([1, 2, 3].map(() => runInCallScope(scope("SaveReport:k3"), () => reports.save(input(caseId)))));
    expect(new Set(attempts.map((r) => r.reportId)).size).toBe(1);
    expect((await store.listVersions(caseId, "RCA_REPORT", 0, 10)).reports.map((r) => r.reportId)).toEqual([attempts[0]!.reportId]);
    expect(await contentStore.get(attempts[0]!.reportId)).toBe("the analysis");
  }, 30_000);
});

describe("DeleteReport on Cluster", () => {
  it("a delete whose DELETE_METADATA step times out leaves the report readable by id, and a retry deletes it", async () => {
    const caseId = "case_del_meta";
    const saved = await runInCallScope(scope(), () => reports.save(input(caseId)));
    failNext(DELETE_METADATA, timedOut);
    const first = await failureOf(() => runInCallScope(scope(), () => reports.delete(saved.reportId)));
    expect(first).toBeInstanceOf(UnavailableError);
    expect((await store.get(saved.reportId))?.reportId).toBe(saved.reportId);

    const retry = await runInCallScope(scope(), () => reports.delete(saved.reportId));
    expect(retry?.reportId).toBe(saved.reportId);
    expect(await store.get(saved.reportId)).toBeUndefined();
    expect((await store.listByCase(caseId, 0, 10)).reports).toHaveLength(0);
    expect(await store.current(caseId)).toHaveLength(0);
    expect(content.has(saved.reportId)).toBe(false);
  }, 30_000);

  it("a keyed delete whose last step ran but whose reply was lost: the retry with the key answers the deleted report", async () => {
    const caseId = "case_del_lost";
    const saved = await runInCallScope(scope(), () => reports.save(input(caseId)));
    failNext(DELETE_METADATA, timedOut, true);
    const first = await failureOf(() => runInCallScope(scope("DeleteReport:d1"), () => reports.delete(saved.reportId)));
    expect(first).toBeInstanceOf(UnavailableError);
    expect(await store.get(saved.reportId)).toBeUndefined();

    const retry = await runInCallScope(scope("DeleteReport:d1"), () => reports.delete(saved.reportId));
    expect(retry?.reportId).toBe(saved.reportId);
    expect(content.has(saved.reportId)).toBe(false);
  }, 30_000);

  it("a keyed retry after RETREAT_CURRENT failed finishes the delete: the older version becomes current", async () => {
    const caseId = "case_del_retreat";
    const v1 = await runInCallScope(scope(), () => reports.save(input(caseId)));
    const v2 = await runInCallScope(scope(), () => reports.save(input(caseId)));
    failNext(RETREAT_CURRENT, late);
    await expect(runInCallScope(scope("DeleteReport:d2"), () => reports.delete(v2.reportId))).rejects.toBeInstanceOf(UnavailableError);

    const retry = await runInCallScope(scope("DeleteReport:d2"), () => reports.delete(v2.reportId));
    expect(retry?.reportId).toBe(v2.reportId);
    expect(await store.get(v2.reportId)).toBeUndefined();
    expect((await store.current(caseId)).map((r) => r.reportId)).toEqual([v1.reportId]);
    expect((await store.get(v1.reportId))?.isCurrent).toBe(true);
  }, 30_000);
});
