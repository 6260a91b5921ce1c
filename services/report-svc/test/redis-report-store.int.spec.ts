import { saveWithIntent } from "./save-with-intent.js";
import { EnvReader } from "@faultmaven/config";
import { createRedisClient, readRedisConfig, STALE_PLAN } from "@faultmaven/redis";
import { redisTopologies, withServiceClockADayBehind } from "@faultmaven/test-kit";
import { RedisReportStore } from "../src/redis/redis-report-store.js";
import { CASE_KEYS, SAVE } from "../src/redis/scripts.js";
import { reportStoreContract } from "./report-store-contract.js";
import { newCaseReportId, reportKeys } from "../src/redis/keys.js";

const redis = redisTopologies();

const openOn = async (env: Record<string, string>) => {
  const config = readRedisConfig(new EnvReader(env));
  const client = createRedisClient(config, "report-store-test");
  await client.connect();
  return new RedisReportStore(client, config.mode);
};
const open = () => openOn(redis.standalone.env);

reportStoreContract("RedisReportStore", open);
reportStoreContract("RedisReportStore on Redis Cluster", () => openOn(redis.cluster.env));

describe("RedisReportStore keys and TTLs, read from Redis", () => {
  it("writes the seed's keys and puts a 90-day TTL on every key of a closed case", async () => {
    const store = await open();
    try {
      const saved = await saveWithIntent(store, {
        reportId: newCaseReportId("case_ttl"),
        caseId: "case_ttl",
        type: "RCA_REPORT",
        status: "final",
        title: "",
        createdBy: "u",
      });
      await saveWithIntent(store, {
        reportId: newCaseReportId("case_ttl"),
        caseId: "case_ttl",
        type: "RUNBOOK",
        status: "draft",
        title: "",
        createdBy: "u",
      });
      const admin = redis.standalone.admin;
      expect(await admin.type("case:{case_ttl}:reports")).toBe("zset");
      expect(await admin.zscore("case:{case_ttl}:reports:RCA_REPORT", saved.reportId)).toBe("-1");
      expect(await admin.hget("case:{case_ttl}:reports:current", "RCA_REPORT")).toBe(saved.reportId);
      expect(await admin.hgetall(reportKeys.metadata(saved.reportId))).toMatchObject({
        report_id: saved.reportId,
        case_id: "case_ttl",
        type: "RCA_REPORT",
        version: "1",
        status: "final",
        created_by: "u",
        is_current: "true",
        content_location: `chromadb://faultmaven_case_reports/${saved.reportId}`,
      });
      const keys = await admin.keys("*case_ttl*");
      const metadataKeys = (await admin.zrange("case:{case_ttl}:reports", "0", "-1")).map((id) => reportKeys.metadata(id));
      const all = [...keys, ...metadataKeys];
      expect(all).toHaveLength(6);
      const ninetyDays = 90 * 86_400;
      await store.closeCase("case_ttl", ninetyDays * 1000);
      for (const key of all) expect(await admin.ttl(key)).toBeGreaterThan(ninetyDays - 10);

      // A report saved into a closed case inherits the closure.
      const late = await saveWithIntent(store, {
        reportId: newCaseReportId("case_ttl"),
        caseId: "case_ttl",
        type: "POST_MORTEM",
        status: "draft",
        title: "",
        createdBy: "u",
      });
      expect(await admin.ttl(reportKeys.metadata(late.reportId))).toBeGreaterThan(ninetyDays - 10);
      expect(await admin.ttl("case:{case_ttl}:reports:POST_MORTEM")).toBeGreaterThan(ninetyDays - 10);

      await store.reopenCase("case_ttl");
      for (const key of [...all, reportKeys.metadata(late.reportId), "case:{case_ttl}:reports:POST_MORTEM"])
        expect(await admin.ttl(key)).toBe(-1);
      expect(await admin.exists("case:case_ttl", "case_index")).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe.each([
  ["standalone", () => redis.standalone.env],
  ["Redis Cluster", () => redis.cluster.env],
] as const)("RedisReportStore closure key on %s, read from Redis", (mode, env) => {
  it("keeps case:{c}:closed through one-by-one deletes, gives a later save its remaining TTL, drops it on reopen and on deleteCase", async () => {
    const store = await openOn(env());
    const admin = createRedisClient(readRedisConfig(new EnvReader(env())), "closure-test");
    await admin.connect();
    const caseId = `case_closure_${mode.replace(" ", "_")}`;
    const closedKey = `case:{${caseId}}:closed`;
    const report = () => ({
      reportId: newCaseReportId(caseId),
      caseId,
      type: "RCA_REPORT" as const,
      status: "draft" as const,
      title: "",
      createdBy: "u",
    });
    const hour = 3_600_000;
    try {
      const first = await saveWithIntent(store, report());
      const expiresAt = await store.closeCase(caseId, hour);
      expect(await admin.get(closedKey)).toBe(String(expiresAt));
      expect(await admin.pttl(closedKey)).toBeGreaterThan(hour - 5_000);
      await store.delete(first.reportId);
      expect(await admin.exists(`case:{${caseId}}:reports`)).toBe(0);
      expect(await admin.exists(closedKey)).toBe(1);
      // Half the closure has passed: the next save must get what remains, not a full TTL.
      await admin.pexpire(closedKey, hour / 2);
      const late = await saveWithIntent(store, report());
      const newKeys = [
        reportKeys.metadata(late.reportId),
        `case:{${caseId}}:reports`,
        `case:{${caseId}}:reports:RCA_REPORT`,
        `case:{${caseId}}:reports:current`,
      ];
      for (const key of newKeys) {
        const ttl = await admin.pttl(key);
        expect(ttl).toBeGreaterThan(hour / 2 - 5_000);
        expect(ttl).toBeLessThanOrEqual(hour / 2);
      }
      expect(await store.reopenCase(caseId)).toBe(true);
      expect(await admin.exists(closedKey)).toBe(0);
      for (const key of newKeys) expect(await admin.pttl(key)).toBe(-1);
      await store.closeCase(caseId, hour);
      await store.deleteCase(caseId);
      for (const key of [closedKey, ...newKeys]) expect(await admin.exists(key)).toBe(0);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });
});

describe("report scripts planned from a read (standalone)", () => {
  it("write nothing and answer stale_plan when what the plan read has changed since", async () => {
    const store = await open();
    try {
      const first = await saveWithIntent(store, {
        reportId: newCaseReportId("case_stale"),
        caseId: "case_stale",
        type: "RUNBOOK",
        status: "draft",
        title: "",
        createdBy: "u",
      });
      const admin = redis.standalone.admin;
      const lateId = newCaseReportId("case_stale");
      // Planned as if nothing were current yet: the script must notice `first`.
      const keys = [
        "case:{case_stale}:reports:RUNBOOK",
        "case:{case_stale}:reports",
        "case:{case_stale}:reports:current",
        reportKeys.metadata(lateId),
        "case:{case_stale}:closed",
      ];
      expect(await SAVE.run(admin, keys, [lateId, "RUNBOOK", ""])).toBe(STALE_PLAN);
      expect(await admin.exists(reportKeys.metadata(lateId))).toBe(0);
      expect(await admin.zcard("case:{case_stale}:reports:RUNBOOK")).toBe(1);
      // A case-wide step planned before `first` existed.
      expect(await CASE_KEYS.run(admin, ["case:{case_stale}:reports"], ["delete", 0])).toBe(STALE_PLAN);
      expect(await store.get(first.reportId)).toMatchObject({ isCurrent: true });
    } finally {
      await store.close();
    }
  });
});

describe("RedisReportStore on Redis Cluster: one clock", () => {
  it("stamps created_at with the Redis clock, not the service's", async () => {
    const store = await openOn(redis.cluster.env);
    try {
      const [seconds] = await redis.standalone.admin.time();
      const saved = await withServiceClockADayBehind(() =>
        saveWithIntent(store, {
          reportId: newCaseReportId("case_clock"),
          caseId: "case_clock",
          type: "RUNBOOK",
          status: "draft",
          title: "",
          createdBy: "u",
        }),
      );
      expect(Math.abs(saved.createdAt - Number(seconds) * 1000)).toBeLessThan(2_000);
      expect((await store.get(saved.reportId))?.createdAt).toBe(saved.createdAt);
    } finally {
      await store.close();
    }
  });
});
