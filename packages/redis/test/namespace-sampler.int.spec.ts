import { EnvReader } from "@faultmaven/config";
import { createRedisClient, NamespaceSampler, readRedisConfig, type RedisClient } from "@faultmaven/redis";
import { RedisServer, waitFor } from "@faultmaven/test-kit";
import { pino } from "pino";
import { Registry } from "prom-client";

/** The keyspace gauges against a real redis-server, below and above EXACT_COUNT_UP_TO keys. */
let redis: RedisServer;
let client: RedisClient;

beforeAll(async () => {
  redis = await RedisServer.start();
  client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "sampler-test");
  await client.connect();
});
afterAll(async () => {
  client?.disconnect();
  await redis?.close();
});
beforeEach(async () => {
  await redis.admin.flushall();
  await redis.admin.config("RESETSTAT");
});

/** Writes `count` string keys `<prefix><n>`, in one script. */
async function fill(prefix: string, count: number): Promise<void> {
  await redis.admin.eval("for i = 1, tonumber(ARGV[2]) do redis.call('SET', ARGV[1] .. i, 'v') end", 0, prefix, count);
}

/** One sampler pass: the keys gauge per namespace, and the SCAN calls Redis ran for it. */
async function onePass(namespaces: string[]): Promise<{ keys: Map<string, number>; scans: number }> {
  const registry = new Registry();
  await new NamespaceSampler(client, namespaces, registry, pino({ level: "silent" })).sample();
  const gauge = await registry.getSingleMetric("redis_keys")!.get();
  const keys = new Map(gauge.values.map(({ labels, value }) => [String(labels.namespace), value]));
  const scans = Number(/cmdstat_scan:calls=(\d+)/.exec(await redis.admin.info("commandstats"))?.[1] ?? 0);
  return { keys, scans };
}

it("counts every namespace's keys exactly with SCAN while the keyspace is small", async () => {
  await fill("a:", 3000);
  await fill("b:", 700);
  const { keys, scans } = await onePass(["a:", "b:", "c:"]);
  expect(keys).toEqual(
    new Map([
      ["a:", 3000],
      ["b:", 700],
      ["c:", 0],
    ]),
  );
  expect(scans).toBeGreaterThan(0);
});

it("above 100k keys estimates each namespace from random keys, within 15%, without a single SCAN", async () => {
  await fill("a:", 90_000);
  await fill("b:", 30_000);
  const { keys, scans } = await onePass(["a:", "b:", "c:"]);
  expect(keys.get("a:")).toBeGreaterThan(90_000 * 0.85);
  expect(keys.get("a:")).toBeLessThan(90_000 * 1.15);
  expect(keys.get("b:")).toBeGreaterThan(30_000 * 0.85);
  expect(keys.get("b:")).toBeLessThan(30_000 * 1.15);
  expect(keys.get("c:")).toBe(0);
  expect(scans).toBe(0);
}, 30_000);

it("samples on its interval again when started after a stop", async () => {
  const registry = new Registry();
  const sampler = new NamespaceSampler(client, ["a:"], registry, pino({ level: "silent" }));
  const keys = async () => (await registry.getSingleMetric("redis_keys")!.get()).values[0]?.value;
  sampler.start(20);
  sampler.stop();
  sampler.start(20);
  await waitFor("the start's own pass", async () => (await keys()) === 0);
  await fill("a:", 9);
  // Only a pass on the interval sees these keys.
  await waitFor("a pass on the interval", async () => (await keys()) === 9, 3000);
  sampler.stop();
});
