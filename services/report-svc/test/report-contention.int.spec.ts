import { saveWithIntent } from "./save-with-intent.js";
import { EnvReader } from "@faultmaven/config";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";
import { RedisServer } from "@faultmaven/test-kit";
import type { ReportType } from "../src/domain/report.js";
import { RedisReportStore } from "../src/redis/redis-report-store.js";
import { newCaseReportId, reportKeys } from "../src/redis/keys.js";

let redis: RedisServer;
let store: RedisReportStore;
beforeAll(async () => {
  redis = await RedisServer.start();
  const config = readRedisConfig(new EnvReader(redis.env));
  const client = createRedisClient(config, "report-contention-test");
  await client.connect();
  store = new RedisReportStore(client, config.mode);
}, 60_000);
afterAll(async () => {
  await store?.close();
  await redis?.close();
});

const TYPE: ReportType = "RCA_REPORT";
const save = (caseId: string) =>
  saveWithIntent(store, { reportId: newCaseReportId(caseId), caseId, type: TYPE, status: "final", title: "", createdBy: "u" });

/** The (case, type)'s versions as Redis holds them: the sorted set, each report's metadata, the current pointer. */
async function versionsInRedis(caseId: string) {
  const admin = redis.admin;
  const ids = await admin.zrange(`case:{${caseId}}:reports:${TYPE}`, "0", "-1");
  const scores = await Promise.all(ids.map((id) => admin.zscore(`case:{${caseId}}:reports:${TYPE}`, id)));
  const metadata = await Promise.all(ids.map((id) => admin.hgetall(reportKeys.metadata(id))));
  return {
    fromScores: scores.map((s) => -Number(s)).sort((a, b) => a - b),
    fromMetadata: metadata.map((m) => Number(m.version)).sort((a, b) => a - b),
    current: ids.filter((_, i) => metadata[i]!.is_current === "true"),
    newest: ids[0],
    pointer: await admin.hget(`case:{${caseId}}:reports:current`, TYPE),
  };
}

const oneToN = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe("concurrent writes to one case on standalone Redis (one connection)", () => {
  it("200 concurrent saves of one (case, type) all succeed, with versions 1..200 and exactly one current, in Redis", async () => {
    const saved = await Promise.all(Array.from({ length: 200 }, () => save("case_storm")));
    expect(saved.map((r) => r.version).sort((a, b) => a - b)).toEqual(oneToN(200));
    const inRedis = await versionsInRedis("case_storm");
    expect(inRedis.fromScores).toEqual(oneToN(200));
    expect(inRedis.fromMetadata).toEqual(oneToN(200));
    expect(inRedis.current).toEqual([inRedis.newest]);
    expect(inRedis.pointer).toBe(inRedis.newest);
  }, 60_000);

  it("200 saves racing CloseCase, ReopenCase and DeleteCaseReports on one case all succeed, leaving gapless versions and one current", async () => {
    await save("case_mixed");
    const caseWide = [store.closeCase("case_mixed", 60_000), store.reopenCase("case_mixed"), store.deleteCase("case_mixed")];
    const saves = Array.from({ length: 200 }, () => save("case_mixed"));
    const results = await Promise.allSettled([...caseWide, ...saves]);
    expect(results.filter((r) => r.status === "rejected")).toEqual([]);
    // Saves that ran after DeleteCaseReports started again at version 1; one more save checks what is left.
    const last = await save("case_mixed");
    const inRedis = await versionsInRedis("case_mixed");
    expect(inRedis.fromScores).toEqual(oneToN(last.version));
    expect(inRedis.fromMetadata).toEqual(oneToN(last.version));
    expect(inRedis.current).toEqual([last.reportId]);
    expect([inRedis.newest, inRedis.pointer]).toEqual([last.reportId, last.reportId]);
  }, 60_000);
});
