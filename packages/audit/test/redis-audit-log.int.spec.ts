import { Writable } from "node:stream";
import { runInCallScope } from "@faultmaven/call-scope";
import { EnvReader } from "@faultmaven/config";
import { createRedisClient, readRedisConfig, type RedisClient } from "@faultmaven/redis";
import { RedisServer, waitFor } from "@faultmaven/test-kit";
import { pino } from "pino";
import { AuditMetrics, type AuditRecord, RedisAuditLog } from "@faultmaven/audit";

/** RedisAuditLog on a real redis-server: the cap, paging, writing after the call, outages and the queue bound. */
let redis: RedisServer;
let client: RedisClient;
const warnings: string[] = [];
const logger = pino(
  { level: "warn" },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      warnings.push(String((JSON.parse(chunk.toString()) as { msg: string }).msg));
      done();
    },
  }),
);

beforeAll(async () => {
  redis = await RedisServer.start();
  client = createRedisClient(readRedisConfig(new EnvReader({ ...redis.env, REDIS_COMMAND_TIMEOUT_MS: "300" })), "audit-test");
  await client.connect();
});
afterAll(async () => {
  await client?.quit();
  await redis?.close();
});

let n = 0;
const record = (): AuditRecord => ({
  time: Date.now(),
  service: "auth-svc",
  identity: "",
  source: "ipv4:127.0.0.1:1",
  action: "login",
  target: `login_name:user${++n}`,
  outcome: "failure",
  reason: "INVALID_CREDENTIALS",
  detail: {},
});
const open = (key: string, options: Partial<ConstructorParameters<typeof RedisAuditLog>[2]> = {}) => {
  const metrics = new AuditMetrics();
  const log = new RedisAuditLog(client, key, { maxLen: 100_000, queueMax: 10_000, retryMs: 100, ...options }, metrics, logger);
  return { log, metrics };
};

describe("RedisAuditLog", () => {
  it("caps the stream at about maxLen (MAXLEN ~) and keeps the newest records", async () => {
    const { log } = open("auth:audit-cap", { maxLen: 200 });
    const targets: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const r = record();
      targets.push(r.target);
      log.append(r);
    }
    await log.close();
    const length = await redis.admin.xlen("auth:audit-cap");
    // Trimming removes whole stream nodes (stream-node-max-entries, 100): never below the cap, at most a node above.
    expect(length).toBeGreaterThanOrEqual(200);
    expect(length).toBeLessThanOrEqual(300);
    const newest = await log.page(undefined, 3);
    expect(newest.records.map((r) => r.target)).toEqual(targets.slice(-3).reverse());
  });

  it("pages newest first, each page starting just before the last one's oldest record, until no next page", async () => {
    const { log } = open("auth:audit-pages");
    const written = Array.from({ length: 25 }, () => record());
    for (const r of written) log.append(r);
    await log.close();
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await log.page(cursor, 10);
      seen.push(...page.records.map((r) => r.target));
      cursor = page.next;
      pages++;
    } while (cursor !== undefined);
    expect(pages).toBe(3);
    expect(seen).toEqual(written.map((r) => r.target).reverse());
    const [first] = (await log.page(undefined, 1)).records;
    expect(first).toMatchObject({ ...written.at(-1), id: expect.stringMatching(/^\d+-\d+$/) });
  });

  it("writes a record appended in a call that is already over (cancelled): the append is outside the call's scope", async () => {
    const { log } = open("auth:audit-scope");
    const controller = new AbortController();
    controller.abort(new Error("cancelled"));
    const r = record();
    runInCallScope({ deadline: Date.now() - 1000, signal: controller.signal }, () => log.append(r));
    await waitFor("the record in the stream", async () => (await redis.admin.xlen("auth:audit-scope")) === 1, 2000);
    expect((await log.page(undefined, 1)).records[0]!.target).toBe(r.target);
    await log.close();
  });

  it("keeps records through a Redis outage and writes them in order when it returns; beyond queueMax it drops and counts", async () => {
    const { log, metrics } = open("auth:audit-outage", { queueMax: 100 });
    await redis.stop();
    const written = Array.from({ length: 130 }, () => record());
    for (const r of written) log.append(r);
    expect(await metrics.droppedCount()).toBe(30);
    await waitFor("the unreachable warning", () => warnings.some((w) => w.startsWith("audit stream unreachable")), 3000);
    expect(warnings.filter((w) => w.startsWith("audit queue full"))).toHaveLength(1);
    await redis.start();
    await waitFor("the queued records in the stream", async () => (await redis.admin.xlen("auth:audit-outage")) === 100);
    const page = await log.page(undefined, 200);
    expect(page.records.map((r) => r.target)).toEqual(
      written
        .slice(0, 100)
        .map((r) => r.target)
        .reverse(),
    );
    await log.close();
    expect(await metrics.droppedCount()).toBe(30);
    // Retried every 100 ms through the outage, warned once.
    expect(warnings.filter((w) => w.startsWith("audit stream unreachable"))).toHaveLength(1);
  });

  it("drops and counts records Redis refuses for good (the key is no stream) instead of retrying them forever", async () => {
    await redis.admin.set("auth:audit-wrongtype", "not a stream");
    const { log, metrics } = open("auth:audit-wrongtype");
    for (let i = 0; i < 3; i++) log.append(record());
    await waitFor("the refusal", () => warnings.includes("audit records refused by Redis (they are in the log)"));
    await log.close();
    expect(await metrics.droppedCount()).toBe(3);
    expect(await redis.admin.get("auth:audit-wrongtype")).toBe("not a stream");
  });
});
