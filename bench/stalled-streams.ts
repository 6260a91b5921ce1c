/**
 * `pnpm bench:stalled`: session-svc (real process, real redis-server, the
 * default transport limits unless GRPC_* variables are set here) under
 * abusive callers: 5,000 small stalled streams and 100 large unfinished
 * bodies (just under the receive limit), plus 100 bodies announced over it.
 * Prints GetSession latency before and during the attack, the service's
 * peak RSS, how the stalled streams ended and how long that took.
 */
import { processEnvironment } from "@faultmaven/config";
import { SessionService } from "@faultmaven/contract/session";
import { RedisServer, StalledStreams, startGrpcService } from "@faultmaven/test-kit";

const GET_SESSION = "/faultmaven.session.v1.SessionService/GetSession";
const MIB = 1024 * 1024;
const passOn = Object.fromEntries(Object.entries(processEnvironment()).filter(([k]) => k.startsWith("GRPC_"))) as Record<string, string>;

const redis = await RedisServer.start();
const svc = await startGrpcService("services/session-svc/src/main.ts", SessionService, { ...redis.env, LOG_LEVEL: "warn", ...passOn });
try {
  const { session } = await svc.client.createSession({ userId: "bench_user", clientId: "bench_client" });
  const sessionId = session!.sessionId;
  const getSession = () => svc.client.getSession({ sessionId });

  /** Sequential GetSession calls for `ms`; latencies in ms and failures. */
  async function latencies(ms: number) {
    const samples: number[] = [];
    let failed = 0;
    const until = performance.now() + ms;
    while (performance.now() < until) {
      const t = performance.now();
      await getSession().then(
        () => samples.push(performance.now() - t),
        () => failed++,
      );
    }
    samples.sort((a, b) => a - b);
    const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor(samples.length * p))]!.toFixed(2);
    return `${String(samples.length).padStart(6)} ok ${String(failed).padStart(4)} failed   p50 ${pct(0.5).padStart(6)} ms   p99 ${pct(0.99).padStart(6)} ms   max ${samples.at(-1)!.toFixed(2).padStart(7)} ms`;
  }

  for (let i = 0; i < 200; i++) await getSession(); // warm-up
  const rssBefore = svc.service.rssBytes();
  console.log(`GetSession, no attack:      ${await latencies(3000)}`);

  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, svc.service.rssBytes())), 50);
  const started = performance.now();
  const attacks = await Promise.all([
    StalledStreams.open(svc.service.address, { path: GET_SESSION, declaredBytes: 100, sentBytes: 10 }, 5000, 10),
    StalledStreams.open(svc.service.address, { path: GET_SESSION, declaredBytes: MIB - 1024, sentBytes: MIB - 64 * 1024 }, 100, 4),
    StalledStreams.open(svc.service.address, { path: GET_SESSION, declaredBytes: 3.9e6, sentBytes: 64 * 1024 }, 100, 1),
  ]);
  console.log(`GetSession, under attack:   ${await latencies(3000)}`);
  while (attacks.some((a) => a.open > 0)) await new Promise((resolve) => setTimeout(resolve, 50));
  const closedAfter = performance.now() - started;
  clearInterval(sampler);
  console.log(`GetSession, after:          ${await latencies(2000)}`);
  for (const [name, attack] of [
    ["5,000 small stalled", attacks[0]],
    ["100 x ~1 MiB unfinished", attacks[1]],
    ["100 x 3.9 MB announced", attacks[2]],
  ] as const) {
    console.log(`${name.padEnd(26)} all closed; grpc-status counts ${JSON.stringify(attack.statusCounts())}`);
    attack.destroy();
  }
  console.log(`all attack streams closed ${(closedAfter / 1000).toFixed(1)} s after they were opened`);
  console.log(`session-svc RSS: ${(rssBefore / MIB).toFixed(0)} MiB before, ${(peakRss / MIB).toFixed(0)} MiB peak`);
} finally {
  await svc.stop();
  await redis.stop();
}
