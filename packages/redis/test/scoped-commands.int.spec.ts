import { openCallScope, runInCallScope } from "@faultmaven/call-scope";
import { EnvReader } from "@faultmaven/config";
import { CancelledError, DeadlineExceededError } from "@faultmaven/errors";
import { RedisCluster, RedisServer } from "@faultmaven/test-kit";
import { createRedisClient, readRedisConfig, type RedisClient } from "@faultmaven/redis";

/** The shared client against a real redis-server: every command honours the call scope it is sent in. */
let redis: RedisServer;
let client: RedisClient;

beforeAll(async () => {
  redis = await RedisServer.start();
  // A long fixed timeout: whatever stops a command early here is the call, not the timeout.
  client = createRedisClient(readRedisConfig(new EnvReader({ ...redis.env, REDIS_COMMAND_TIMEOUT_MS: "10000" })), "scoped-test");
  await client.connect();
});
afterAll(async () => {
  client?.disconnect();
  await redis?.close();
});
beforeEach(async () => {
  redis.resume();
  await redis.admin.flushall();
  await redis.admin.config("RESETSTAT");
  await redis.admin.mset("a", "A", "b", "B");
});

/** How many times Redis ran `command` since the last RESETSTAT. */
async function calls(command: string): Promise<number> {
  const info = await redis.admin.info("commandstats");
  return Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info)?.[1] ?? 0);
}

const expired = () => ({ deadline: Date.now() - 1, signal: new AbortController().signal });

describe("Redis commands inside a call scope", () => {
  it("are refused once the deadline has passed, before a byte is sent (Redis never runs them)", async () => {
    await expect(runInCallScope(expired(), () => client.incr("counter"))).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(await calls("incr")).toBe(0);
    expect(await redis.admin.exists("counter")).toBe(0);
  });

  it("are refused once the call is cancelled, as CANCELLED", async () => {
    const opened = openCallScope(undefined);
    opened.cancel();
    await expect(runInCallScope(opened.scope, () => client.incr("counter"))).rejects.toBeInstanceOf(CancelledError);
    expect(await calls("incr")).toBe(0);
  });

  it("refuse a MULTI/EXEC transaction whole, and the connection stays usable", async () => {
    await expect(runInCallScope(expired(), () => client.multi().set("m1", "1").set("m2", "2").exec())).rejects.toBeInstanceOf(
      DeadlineExceededError,
    );
    expect(await calls("multi")).toBe(0);
    expect(await client.get("b")).toBe("B");
    expect(await redis.admin.exists("m1", "m2")).toBe(0);
  });

  it("fail at the call's deadline, not at REDIS_COMMAND_TIMEOUT_MS, when Redis is frozen", async () => {
    const opened = openCallScope(Date.now() + 300);
    redis.pause();
    const started = Date.now();
    const error = await runInCallScope(opened.scope, () => client.get("a")).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    redis.resume();
    opened.close();
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).cause).toEqual(new Error("redis GET had no reply when the call ended"));
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
  });

  it("in flight when the call is cancelled are rejected at once, and their late replies go to nobody else", async () => {
    const opened = openCallScope(undefined);
    redis.pause();
    const inFlight = runInCallScope(opened.scope, () => client.get("a")).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const cancelledAt = Date.now();
    opened.cancel();
    const error = await inFlight;
    expect(Date.now() - cancelledAt).toBeLessThan(1000);
    expect(error).toBeInstanceOf(CancelledError);
    redis.resume();
    // GET a's reply arrives now: it must be matched to the cancelled command, not to this one.
    expect(await client.get("b")).toBe("B");
    expect(await client.get("a")).toBe("A");
  });

  it("run normally while the call is live, and outside any call", async () => {
    const opened = openCallScope(Date.now() + 10_000);
    expect(await runInCallScope(opened.scope, () => client.get("a"))).toBe("A");
    opened.close();
    expect(await client.get("b")).toBe("B");
  });
});

describe("Redis Cluster commands inside a call scope", () => {
  let cluster: RedisCluster;
  let clustered: RedisClient;

  beforeAll(async () => {
    cluster = await RedisCluster.start();
    clustered = createRedisClient(readRedisConfig(new EnvReader(cluster.env)), "scoped-cluster-test");
    await clustered.connect();
  }, 60_000);
  afterAll(async () => {
    clustered?.disconnect();
    await cluster?.close();
  });

  it("are refused once the deadline has passed, and run on the right node while the call is live", async () => {
    const keys = ["{a}k", "{b}k", "{c}k"];
    for (const key of keys) {
      await expect(runInCallScope(expired(), () => clustered.set(key, "late"))).rejects.toBeInstanceOf(DeadlineExceededError);
    }
    expect(await Promise.all(keys.map((key) => clustered.exists(key)))).toEqual([0, 0, 0]);
    const opened = openCallScope(Date.now() + 10_000);
    await runInCallScope(opened.scope, () => Promise.all(keys.map((key) => clustered.set(key, "live"))));
    opened.close();
    expect(await Promise.all(keys.map((key) => clustered.get(key)))).toEqual(["live", "live", "live"]);
  });
});
