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

/** The writes `client`'s socket handle was asked to make (each a system call) while `work` ran, and what `work` returned. */
async function handleWritesDuring<T>(client: Redis | RedisClient, work: () => Promise<T>): Promise<{ writes: number; result: T }> {
  const handle = (client as unknown as { stream: { _handle: Record<string, unknown> } }).stream._handle;
  const methods = ["writev", "writeBuffer", "writeUtf8String", "writeLatin1String", "writeAsciiString"];
  const originals = new Map(methods.map((name) => [name, handle[name]]));
  let writes = 0;
  for (const [name, original] of originals) {
    if (typeof original !== "function") continue;
    handle[name] = (...args: unknown[]) => {
      writes++;
      return (original as (...a: unknown[]) => unknown).apply(handle, args);
    };
  }
  try {
    return { result: await work(), writes };
  } finally {
    for (const [name, original] of originals) handle[name] = original;
  }
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

  it("where a plain ioredis client makes a socket write per command (the control), and the batched one a few", async () => {
    // Counted at the socket handle, where a write becomes a system call: Redis's own read count would depend on
    // how many writes pile up before Redis wakes (all 50 into one read on a saturated machine).
    const plainRun = await handleWritesDuring(plain, () => fiftyFromSeparateCallbacks(plain));
    expect(plainRun.result).toEqual(Array.from({ length: 50 }, (_, i) => `v${i}`));
    expect(plainRun.writes).toBeGreaterThanOrEqual(40);
    const batchedRun = await handleWritesDuring(batched, () => fiftyFromSeparateCallbacks(batched));
    expect(batchedRun.result).toEqual(plainRun.result);
    expect(batchedRun.writes).toBeLessThanOrEqual(3);
  });

  it("answers a lone command without waiting for more", async () => {
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect(await batched.get("k1")).toBe("v1");
    // 20 sequential round trips on loopback take milliseconds; a cork never released would leave one unanswered until its command timeout.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
