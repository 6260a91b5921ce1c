/**
 * `pnpm bench:stalled`: session-svc (real process, real redis-server, the
 * default transport limits unless GRPC_* variables are set here) under
 * abusive callers run from a separate process (bench/stalled-attacker.ts):
 * 5,000 small stalled streams, 100 large unfinished bodies (just under the
 * receive limit) and 100 bodies announced over it. Prints GetSession
 * latency before, during and after the attack, the service's peak RSS, how
 * the attack streams ended and how long that took.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { processEnvironment } from "@faultmaven/config";
import { SessionService } from "@faultmaven/contract/session";
import { RedisServer, startGrpcService } from "@faultmaven/test-kit";

const MIB = 1024 * 1024;
const passOn = Object.fromEntries(Object.entries(processEnvironment()).filter(([k]) => k.startsWith("GRPC_"))) as Record<string, string>;

const redis = await RedisServer.start();
const svc = await startGrpcService("services/session-svc/src/main.ts", SessionService, { ...redis.env, LOG_LEVEL: "warn", ...passOn });
try {
  const { session } = await svc.client.createSession({ userId: "bench_user", clientId: "bench_client" });
  const sessionId = session!.sessionId;
  const getSession = () => svc.client.getSession({ sessionId });

  /** Sequential GetSession calls until `done` resolves (or `ms` pass); latencies in ms and failures. */
  async function latencies(done: Promise<unknown>) {
    const samples: number[] = [];
    let failed = 0;
    let over = false;
    void done.then(() => (over = true));
    while (!over) {
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
  const after = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  for (let i = 0; i < 200; i++) await getSession(); // warm-up
  const rssBefore = svc.service.rssBytes();
  console.log(`GetSession, no attack:                 ${await latencies(after(5000))}`);

  let peakRss = rssBefore;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, svc.service.rssBytes())), 50);
  const attacker = spawn(process.execPath, ["--import", "tsx", "bench/stalled-attacker.ts", svc.service.address], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: attacker.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value as string) as Record<string, unknown>;
  const opened = next();
  const closed = opened.then(next);
  console.log(`GetSession, while the attack opens:    ${await latencies(opened)}`);
  console.log(`GetSession, while the streams stall:   ${await latencies(closed)}`);
  const report = (await closed) as { closedAfterMs: number; statuses: Record<string, Record<string, number>> };
  clearInterval(sampler);
  console.log(`GetSession, after:                     ${await latencies(after(3000))}`);
  for (const [name, counts] of Object.entries(report.statuses)) {
    console.log(`${name.padEnd(26)} all closed; grpc-status counts ${JSON.stringify(counts)}`);
  }
  console.log(`all attack streams closed ${(report.closedAfterMs / 1000).toFixed(1)} s after the first was opened`);
  console.log(`session-svc RSS: ${(rssBefore / MIB).toFixed(0)} MiB before, ${(peakRss / MIB).toFixed(0)} MiB peak`);
} finally {
  await svc.stop();
  await redis.stop();
}
