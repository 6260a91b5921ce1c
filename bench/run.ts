/**
 * `pnpm bench`: latency and throughput of session-svc's hot calls over real
 * gRPC against a real redis-server (both started here on free ports), and
 * how many Redis round trips each call costs (commands clients sent, seen
 * with MONITOR on a separate sample; commands run inside a script are not
 * round trips). Bounded in count and time; loopback only.
 */
import { SessionService, MessageRole } from "@faultmaven/contract/session";
import { createClient } from "@faultmaven/grpc-kit";
import { RedisServer, ServiceProcess } from "@faultmaven/test-kit";

const CALLS = Number(process.env.BENCH_CALLS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

const redis = await RedisServer.start();
const service = await ServiceProcess.start("services/session-svc/src/main.ts", { ...redis.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "info" });
const client = createClient(SessionService, service.address, { defaultTimeoutMs: 5000 });

try {
  const { session } = await client.createSession({ userId: "bench_user", clientId: "bench_client" });
  const sessionId = session!.sessionId;
  let n = 0;
  const cases: [string, () => Promise<unknown>][] = [
    ["GetSession", () => client.getSession({ sessionId })],
    ["TouchSession", () => client.touchSession({ sessionId })],
    ["AppendMessage", () => client.appendMessage({ sessionId, message: { role: MessageRole.USER, content: `message ${n++}` } })],
    [
      "UpdateSession",
      () => client.updateSession({ session: { sessionId, context: { step: String(n++) } }, updateMask: { paths: ["context.step"] } }),
    ],
    ["CreateSession (resume)", () => client.createSession({ userId: "bench_user", clientId: "bench_client" })],
    ["CreateSession (new)", () => client.createSession({ userId: "bench_user", clientId: `client_${n++}` })],
  ];
  console.log(`session-svc, ${CALLS} calls per method, ${CONCURRENCY} in flight, one redis-server, loopback\n`);
  console.log("method                    ops/s     p50 ms   p99 ms   redis cmds/call");
  for (const [name, call] of cases) {
    for (let i = 0; i < 50; i++) await call(); // warm-up (JIT, script cache)
    const latencies: number[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < CALLS) {
          const t = performance.now();
          await call();
          latencies.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const roundTrips = await roundTripsPerCall(call);
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))]!.toFixed(2);
    console.log(
      `${name.padEnd(24)} ${String(Math.round(CALLS / seconds)).padStart(7)} ${pct(0.5).padStart(9)} ${pct(0.99).padStart(8)} ${roundTrips.toFixed(2).padStart(12)}`,
    );
  }
} finally {
  client.close();
  await service.stop();
  await redis.close();
}

/** Average commands the service sent to Redis per call, over 100 sequential calls. */
async function roundTripsPerCall(call: () => Promise<unknown>): Promise<number> {
  const monitor = await redis.admin.monitor();
  let commands = 0;
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (source !== "lua" && args[0]?.toUpperCase() !== "PING") commands++;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  for (let i = 0; i < 100; i++) await call();
  await new Promise((resolve) => setTimeout(resolve, 50));
  monitor.disconnect();
  return commands / 100;
}
