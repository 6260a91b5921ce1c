import { saveWithIntent } from "./save-with-intent.js";
import { EnvReader } from "@faultmaven/config";
import { createRedisClient, type LuaScript, readRedisConfig, type RedisClient, type SingleKeyCalls } from "@faultmaven/redis";
import { RedisCluster } from "@faultmaven/test-kit";
import { newReportId } from "../src/domain/report.js";
import { saveInSteps } from "../src/redis/cluster-report-writes.js";
import { RedisReportStore } from "../src/redis/redis-report-store.js";

/** The Cluster form of a save, raced step by step against a delete on a real 3-master cluster. */
let cluster: RedisCluster;
let client: RedisClient;
let store: RedisReportStore;
beforeAll(async () => {
  cluster = await RedisCluster.start();
  client = createRedisClient(readRedisConfig(new EnvReader(cluster.env)), "cluster-steps-test");
  await client.connect();
  store = new RedisReportStore(client, "cluster");
}, 60_000);
afterAll(async () => {
  await store?.close();
  await cluster?.close();
});

/** Single-key calls that run `between` once, right after the script named `after`. */
function callsWith(after: string, between: () => Promise<unknown>): SingleKeyCalls {
  let done = false;
  return {
    client,
    async script(script: LuaScript, key: string, args: readonly (string | number)[]) {
      const reply = await script.run(client, [key], args);
      if (script.name === after && !done) {
        done = true;
        await between();
      }
      return reply;
    },
  };
}

const base = { caseId: "case_race", type: "RCA_REPORT", status: "final", title: "", createdBy: "u" } as const;
const fields = { case_id: base.caseId, status: base.status, title: "", created_by: "u", content_location: "x" };

it("a delete of the current report while a save sits between its version and its pointer step leaves the save flagged current", async () => {
  const first = await saveWithIntent(store, { ...base, reportId: newReportId() });
  const reportId = newReportId();
  await store.recordIntent({ ...base, reportId }, 10_000);
  const outcome = await saveInSteps(
    callsWith("report_reserve_version", () => store.delete(first.reportId)),
    { report: { ...base, reportId }, fields },
  );
  expect(outcome).toMatchObject({ version: 2, isCurrent: true });
  expect(await client.hget(`case:${base.caseId}:reports:current`, base.type)).toBe(reportId);
  expect(await client.hget(`report:${reportId}:metadata`, "is_current")).toBe("true");
  expect((await store.current(base.caseId)).map((r) => [r.reportId, r.isCurrent])).toEqual([[reportId, true]]);
});

it("of two concurrent deletes of one report, exactly one deletes it (as on standalone)", async () => {
  const saved = await saveWithIntent(store, { ...base, caseId: "case_double_delete", reportId: newReportId() });
  const results = await Promise.all([store.delete(saved.reportId), store.delete(saved.reportId)]);
  expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  expect(await client.exists(`report:${saved.reportId}:metadata`)).toBe(0);
});
