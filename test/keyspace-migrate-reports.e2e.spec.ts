import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Cluster } from "ioredis";
import { processEnvironment } from "@faultmaven/config";
import { classifyKey } from "@faultmaven/keyspace";
import { slotTagOf } from "@faultmaven/redis";
import { reportKeySchema } from "@faultmaven/report-svc/key-schema";
import { RedisCluster, RedisServer } from "@faultmaven/test-kit";

const run = promisify(execFile);

/** `pnpm keyspace-migrate-reports` as an operator runs it, against report-svc keys written before the hash tags. */
const migrate = (env: Record<string, string>, ...args: string[]) =>
  run(process.execPath, ["--import", "tsx", "scripts/keyspace-migrate-reports.ts", ...args], { env: { ...processEnvironment(), ...env } });

/** A report id whose slot characters are `lead`, as report-svc makes them. */
const idWith = (lead: string, fill: string) => `rep_${lead}${fill.repeat(22 - lead.length)}`;

type Admin = Pick<Cluster, "zadd" | "hset" | "pexpire" | "set">;

/** One legacy case: timeline, type index, pointer, closure, and each report's metadata, closed for an hour. */
async function writeLegacyCase(admin: Admin, caseId: string, ids: readonly string[]): Promise<string[]> {
  const keys = [`case:${caseId}:reports`, `case:${caseId}:reports:RCA_REPORT`, `case:${caseId}:reports:current`, `case:${caseId}:closed`];
  for (const [i, id] of ids.entries()) {
    await admin.zadd(keys[0]!, 1000 + i, id);
    await admin.zadd(keys[1]!, -(i + 1), id);
    await admin.hset(`report:${id}:metadata`, { report_id: id, case_id: caseId, type: "RCA_REPORT", version: String(i + 1) });
  }
  await admin.hset(keys[2]!, "RCA_REPORT", ids.at(-1)!);
  await admin.set(keys[3]!, "0");
  const all = [...keys, ...ids.map((id) => `report:${id}:metadata`)];
  for (const key of all) await admin.pexpire(key, 3_600_000);
  return all;
}

describe("on standalone Redis", () => {
  let redis: RedisServer;
  let env: Record<string, string>;
  beforeAll(async () => {
    redis = await RedisServer.start();
    env = { REDIS_HOST: "127.0.0.1", REDIS_PORT: String(redis.port) };
  });
  afterAll(async () => {
    await redis?.close();
  });

  it("renames every legacy key to its hash-tagged name with its TTL, only with --apply, and a second run finds none", async () => {
    const ids = [idWith("Abc", "a"), idWith("x_Y", "b")];
    const legacy = await writeLegacyCase(redis.admin, "case_old", ids);
    const dry = await migrate(env);
    expect(dry.stdout).toContain(`legacy report-svc keys: ${legacy.length}`);
    expect(dry.stdout).toContain("dry run: nothing renamed");
    expect(await redis.admin.exists(...legacy)).toBe(legacy.length);

    expect((await migrate(env, "--apply")).stdout).toContain(`renamed: ${legacy.length}`);
    expect(await redis.admin.exists(...legacy)).toBe(0);
    const renamed = [
      "case:{case_old}:reports",
      "case:{case_old}:reports:RCA_REPORT",
      "case:{case_old}:reports:current",
      "case:{case_old}:closed",
      `report:{Abc}:${ids[0]}:metadata`,
      `report:{x_Y}:${ids[1]}:metadata`,
    ];
    for (const key of renamed) {
      expect(classifyKey(key, [reportKeySchema])).toMatchObject({ kind: "known", owner: "report-svc" });
      expect(await redis.admin.pttl(key)).toBeGreaterThan(3_500_000);
    }
    expect(await redis.admin.zrange("case:{case_old}:reports:RCA_REPORT", "0", "-1")).toEqual([ids[1], ids[0]]);
    expect(await redis.admin.hget(`report:{Abc}:${ids[0]}:metadata`, "version")).toBe("1");
    expect((await migrate(env, "--apply")).stdout).toContain("legacy report-svc keys: 0");
  });

  it("never overwrites a key whose new name holds other data (lists it, keeps both, exit code 2), and finishes a run stopped before its DEL", async () => {
    const [id] = [idWith("Qrs", "q")];
    await redis.admin.zadd("case:{case_clash}:reports", 5000, "rep_NEWER_REPORT_KEPT_AAA");
    await redis.admin.zadd("case:case_clash:reports", 1000, id);
    // A run that restored but stopped before deleting the legacy key: the same value under both names.
    await redis.admin.hset(`report:${id}:metadata`, { report_id: id, case_id: "case_clash", version: "1" });
    await redis.admin.hset(`report:{Qrs}:${id}:metadata`, { report_id: id, case_id: "case_clash", version: "1" });
    const failed = await migrate(env, "--apply").then(
      () => ({ stdout: "", code: 0 }),
      (error: { stdout: string; code: number }) => error,
    );
    expect(failed.code).toBe(2);
    expect(failed.stdout).toContain("their new name holds something else (both left): 1\n  case:case_clash:reports");
    expect(await redis.admin.zrange("case:{case_clash}:reports", "0", "-1")).toEqual(["rep_NEWER_REPORT_KEPT_AAA"]);
    expect(await redis.admin.exists("case:case_clash:reports")).toBe(1);
    expect(await redis.admin.exists(`report:${id}:metadata`)).toBe(0);
    expect(await redis.admin.hget(`report:{Qrs}:${id}:metadata`, "version")).toBe("1");
  });
});

describe("on a 3-master Redis Cluster", () => {
  let cluster: RedisCluster;
  let admin: Cluster;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
    admin = new Cluster([{ host: "127.0.0.1", port: cluster.ports[0]! }]);
  }, 60_000);
  afterAll(async () => {
    admin?.disconnect();
    await cluster?.close();
  });

  it("moves a case whose report ids carry its slot into that one slot, and lists and leaves a case whose ids do not", async () => {
    const fitting = [idWith(slotTagOf("case_fits"), "a")];
    const foreignLead = ["AAA", "AAB"].find((lead) => slotTagOf(lead) !== slotTagOf("case_foreign"))!;
    const foreign = [idWith(foreignLead, "c")];
    await writeLegacyCase(admin, "case_fits", fitting);
    const left = await writeLegacyCase(admin, "case_foreign", foreign);

    // Something left behind: exit code 2, so an upgrade script stops before starting the new version.
    const { stdout, code } = await migrate(cluster.env, "--apply").then(
      () => ({ stdout: "", code: 0 }),
      (error: { stdout: string; code: number }) => error,
    );
    expect(code).toBe(2);
    expect(stdout).toContain("legacy report-svc keys: 10");
    expect(stdout).toContain("renamed: 5");
    expect(stdout).toContain("cases left under the old names (a report id does not carry the case's Cluster slot): 1\n  case_foreign");
    const moved = [
      "case:{case_fits}:reports",
      "case:{case_fits}:reports:current",
      `report:{${fitting[0]!.slice(4, 7)}}:${fitting[0]}:metadata`,
    ];
    const slots = await Promise.all(moved.map((key) => admin.cluster("KEYSLOT", key)));
    expect(new Set(slots).size).toBe(1);
    for (const key of moved) expect(await admin.exists(key)).toBe(1);
    for (const key of left) expect(await admin.exists(key)).toBe(1);
  }, 60_000);
});
