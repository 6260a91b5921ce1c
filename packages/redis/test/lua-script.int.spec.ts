import { runInCallScope, type CallScope } from "@faultmaven/call-scope";
import { EnvReader } from "@faultmaven/config";
import { DeadlineExceededError, InvalidArgumentError, UnavailableError } from "@faultmaven/errors";
import { RedisCluster, RedisServer } from "@faultmaven/test-kit";
import {
  callRedis,
  createRedisClient,
  idempotencyRecordKey,
  LuaScript,
  readRedisConfig,
  slotTagOf,
  type RedisClient,
} from "@faultmaven/redis";

/** Counts its runs in KEYS[1] and answers the new count with ARGV as given: the script's own view of its arguments. */
const COUNT = new LuaScript("test_count", "local n = redis.call('INCR', KEYS[1]); return {n, #KEYS, #ARGV, ARGV[1]}", { idempotent: {} });
/** Same, but a retry is answered by re-reading the counter instead of the recorded reply. */
const COUNT_REPLAYED_BY_READ = new LuaScript("test_count_reread", "return redis.call('INCR', KEYS[1])", {
  idempotent: { replay: "return 'reread:' .. redis.call('GET', KEYS[1])" },
});
const STALE = new LuaScript("test_stale", "return 'stale_plan'", { idempotent: {} });
const FAIL = new LuaScript("test_fail", "redis.call('INCR', KEYS[1]); return redis.error_reply('NOPE refused')", { idempotent: {} });

let redis: RedisServer;
let client: RedisClient;

function scope(idempotency?: CallScope["idempotency"], deadline?: number): CallScope {
  return { deadline, signal: new AbortController().signal, ...(idempotency ? { idempotency } : {}) };
}
const key = (name: string, fingerprint = "a".repeat(64)) => ({ name: `Count:${name}`, fingerprint, windowMs: 60_000 });
const run = (script: LuaScript, s: CallScope, keys = ["counter"], args: (string | number)[] = ["x"]) =>
  runInCallScope(s, () => callRedis(() => script.run(client, keys, args)));

beforeAll(async () => {
  redis = await RedisServer.start();
  client = createRedisClient(readRedisConfig(new EnvReader({ ...redis.env, REDIS_COMMAND_TIMEOUT_MS: "300" })), "lua-script-test");
  await client.connect();
});
afterAll(async () => {
  redis?.resume();
  client?.disconnect();
  await redis?.close();
});
beforeEach(async () => {
  redis.resume();
  await redis.admin.flushall();
});

describe("LuaScript not-after bound", () => {
  it("gives the script its own KEYS and ARGV, the bound taken off", async () => {
    expect(await run(COUNT, scope())).toEqual([1, 1, 1, "x"]);
  });

  it("does not send a script when too little of the deadline is left for its reply (DEADLINE_EXCEEDED)", async () => {
    // 10 ms left of the deadline is less than the bound's margin.
    await expect(run(COUNT, scope(undefined, Date.now() + 10))).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(await redis.admin.get("counter")).toBeNull();
  });

  it("makes scripts held up by a frozen Redis (SIGSTOP past the command timeout) do nothing when it resumes", async () => {
    await redis.admin.config("RESETSTAT");
    redis.pause();
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => run(COUNT, scope())));
    expect(outcomes.every((o) => o.status === "rejected" && o.reason instanceof UnavailableError)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    redis.resume();
    // The 20 scripts were queued in the socket; Redis runs them now, each finds its bound passed.
    expect(await redis.admin.ping()).toBe("PONG");
    const info = await redis.admin.info("commandstats");
    expect(Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1])).toBe(20);
    expect(await redis.admin.get("counter")).toBeNull();
    expect(await run(COUNT, scope())).toEqual([1, 1, 1, "x"]);
  });
});

describe("LuaScript idempotency", () => {
  it("answers a retry with the same key by the recorded reply without acting again", async () => {
    const first = await run(COUNT, scope(key("k1")));
    const retry = await run(COUNT, scope(key("k1")));
    expect(first).toEqual([1, 1, 1, "x"]);
    expect(retry).toEqual(first);
    expect(await redis.admin.get("counter")).toBe("1");
    expect(await run(COUNT, scope(key("k2")))).toEqual([2, 1, 1, "x"]);
  });

  it("acts once under 50 concurrent retries with the same key", async () => {
    const replies = await Promise.all(Array.from({ length: 50 }, () => run(COUNT, scope(key("race")))));
    expect(new Set(replies.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify([1, 1, 1, "x"])]));
    expect(await redis.admin.get("counter")).toBe("1");
  });

  it("refuses the same key with a different request, naming idempotency_key", async () => {
    await run(COUNT, scope(key("k1")));
    const error = await run(COUNT, scope(key("k1", "b".repeat(64)))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).violations[0]?.field).toBe("idempotency_key");
    expect(await redis.admin.get("counter")).toBe("1");
  });

  it("records the key next to its anchor with the window as TTL, and acts again once it has expired", async () => {
    await run(COUNT, scope({ ...key("k1"), windowMs: 200 }), ["case:c1:reports"]);
    const record = idempotencyRecordKey("case:c1:reports", "Count:k1");
    expect(record).toBe("case:idem:{case:c1:reports}:Count:k1");
    expect(await redis.admin.pttl(record)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await run(COUNT, scope(key("k1")), ["case:c1:reports"])).toEqual([2, 1, 1, "x"]);
  });

  it("replays by the script's own replay statements when it has them", async () => {
    expect(await run(COUNT_REPLAYED_BY_READ, scope(key("k1")))).toBe(1);
    expect(await run(COUNT_REPLAYED_BY_READ, scope(key("k1")))).toBe("reread:1");
    expect(await redis.admin.get("counter")).toBe("1");
  });

  it("does not record an error reply", async () => {
    await expect(run(FAIL, scope(key("k1")))).rejects.toThrow("NOPE");
    expect(await redis.admin.keys("*idem*")).toEqual([]);
  });

  it("does not record a stale plan (the step sends its script again with a new plan)", async () => {
    expect(await run(STALE, scope(key("k1")))).toBe("stale_plan");
    expect(await redis.admin.keys("*idem*")).toEqual([]);
  });

  it("acts every time without a key", async () => {
    await run(COUNT, scope());
    expect(await run(COUNT, scope())).toEqual([2, 1, 1, "x"]);
  });
});

describe("LuaScript idempotency on Redis Cluster", () => {
  let cluster: RedisCluster;
  let clusterClient: RedisClient;
  beforeAll(async () => {
    cluster = await RedisCluster.start();
    clusterClient = createRedisClient(readRedisConfig(new EnvReader(cluster.env)), "lua-script-cluster-test");
    await clusterClient.connect();
  });
  afterAll(async () => {
    clusterClient?.disconnect();
    await cluster?.close();
  });

  it("keeps the record in its anchor's slot, so the script runs atomically there", async () => {
    const runOn = () => runInCallScope(scope(key("k1")), () => callRedis(() => COUNT.run(clusterClient, ["session:sess_x"], ["x"])));
    expect(await runOn()).toEqual([1, 1, 1, "x"]);
    expect(await runOn()).toEqual([1, 1, 1, "x"]);
    const record = idempotencyRecordKey("session:sess_x", "Count:k1");
    expect(record).toBe("session:idem:{session:sess_x}:Count:k1");
    expect(await clusterClient.cluster("KEYSLOT", record)).toBe(await clusterClient.cluster("KEYSLOT", "session:sess_x"));
  });

  it("keeps the record of an anchor with its own hash tag in that tag's slot", async () => {
    const anchor = "case:{c1}:reports";
    const runOn = () => runInCallScope(scope(key("k2")), () => callRedis(() => COUNT.run(clusterClient, [anchor], ["x"])));
    expect(await runOn()).toEqual([1, 1, 1, "x"]);
    expect(await runOn()).toEqual([1, 1, 1, "x"]);
    const record = idempotencyRecordKey(anchor, "Count:k2");
    expect(record).toBe("case:idem:{c1}:reports:Count:k2");
    expect(await clusterClient.cluster("KEYSLOT", record)).toBe(await clusterClient.cluster("KEYSLOT", anchor));
  });

  it("gives every slot a slot tag: slotTagOf(text) is in the slot of keys tagged {text}", async () => {
    for (const text of ["c1", "case_42", "user@example.com", "x".repeat(128)]) {
      const tag = slotTagOf(text);
      expect(tag).toMatch(/^[A-Za-z0-9_-]{3}$/);
      expect(await clusterClient.cluster("KEYSLOT", `report:{${tag}}:r`)).toBe(
        await clusterClient.cluster("KEYSLOT", `case:{${text}}:reports`),
      );
    }
  });
});
