import { EnvReader } from "@faultmaven/config";
import { RedisServer } from "@faultmaven/test-kit";
import { createRedisClient, readRedisConfig, type RedisClient } from "@faultmaven/redis";
import { Redis } from "ioredis";

/** Commands issued from separate callbacks of one event-loop turn leave in one write (see batch-writes.ts). */
let redis: RedisServer;
let batched: RedisClient;
let plain: Redis;

beforeAll(async () => {
  redis = await RedisServer.start();
  batched = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "batch-test");
  await batched.connect();
  plain = new Redis({ port: redis.port, lazyConnect: true });
  await plain.connect();
});
afterAll(async () => {
  batched?.disconnect();
  plain?.disconnect();
  await redis?.close();
});

/** Read events Redis processed (one per time it found bytes on a connection) while `work` ran, and what `work` returned. */
async function readsDuring<T>(work: () => Promise<T>): Promise<{ reads: number; result: T }> {
  await redis.admin.config("RESETSTAT");
  const result = await work();
  const info = await redis.admin.info("stats");
  // The INFO command's own read is counted too.
  return { reads: Number(/total_reads_processed:(\d+)/.exec(info)?.[1]) - 1, result };
}

/** 50 GETs, each issued from its own timer callback, all due in the same turn of the event loop. */
function fiftyFromSeparateCallbacks(client: Redis | RedisClient): Promise<(string | null)[]> {
  return Promise.all(
    Array.from(
      { length: 50 },
      (_, i) => new Promise<string | null>((resolve, reject) => setTimeout(() => client.get(`k${i}`).then(resolve, reject), 0)),
    ),
  );
}

describe("batchWritesPerTick", () => {
  beforeAll(async () => {
    await redis.admin.mset(...Array.from({ length: 50 }, (_, i) => [`k${i}`, `v${i}`]).flat());
  });

  it("sends the commands of one turn's callbacks together, and each still gets its own reply", async () => {
    const { reads, result } = await readsDuring(() => fiftyFromSeparateCallbacks(batched));
    expect(result).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    expect(reads).toBeLessThanOrEqual(3);
  });

  it("where a plain ioredis client's commands take Redis more reads than that (the control)", async () => {
    const { reads, result } = await readsDuring(() => fiftyFromSeparateCallbacks(plain));
    expect(result).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    // Each command is its own write; a busy machine lets some pile up in the socket before Redis reads (8 of 50
    // seen under a parallel test run, about 50 on a quiet one), but never as few as the batched client's.
    expect(reads).toBeGreaterThan(3);
  });

  it("answers a lone command without waiting for more", async () => {
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect(await batched.get("k1")).toBe("v1");
    // 20 sequential round trips on loopback take milliseconds; a cork never released would leave one unanswered until its command timeout.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
