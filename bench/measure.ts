import type { RedisServer } from "@faultmaven/test-kit";
import { EnvReader } from "@faultmaven/config";

const env = new EnvReader();
const CALLS = env.integer("BENCH_CALLS", 2000, 1, 10_000_000);
const CONCURRENCY = env.integer("BENCH_CONCURRENCY", 32, 1, 10_000);

export function printHeader(): void {
  console.log(`${CALLS} calls per method (unless noted), ${CONCURRENCY} in flight, one redis-server, loopback;`);
  console.log("the load generator, the services, Redis and ChromaDB share this machine's cores\n");
  console.log("method                          ops/s    p50 ms   p99 ms   redis cmds/call");
}

/** Drives `call` CALLS times with CONCURRENCY in flight and prints one line of figures. */
export async function measure(redis: RedisServer, name: string, call: () => Promise<unknown>, calls = CALLS): Promise<void> {
  for (let i = 0; i < 20; i++) await call(); // warm-up (JIT, script cache)
  const latencies: number[] = [];
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < calls) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const roundTrips = await roundTripsPerCall(redis, call);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(2);
  console.log(
    `${name.padEnd(30)} ${String(Math.round(calls / seconds)).padStart(7)} ${pct(0.5).padStart(9)} ${pct(0.99).padStart(8)} ${roundTrips.toFixed(2).padStart(12)}`,
  );
}

/** Average commands the services sent to Redis per call, over 20 sequential calls. */
async function roundTripsPerCall(redis: RedisServer, call: () => Promise<unknown>): Promise<number> {
  const monitor = await redis.admin.monitor();
  let commands = 0;
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (source !== "lua" && args[0]?.toUpperCase() !== "PING") commands++;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (let i = 0; i < 20; i++) await call();
  await new Promise((resolve) => setTimeout(resolve, 50));
  monitor.disconnect();
  return commands / 20;
}
