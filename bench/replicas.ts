import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SessionService } from "@faultmaven/contract/session";
import { grpcRequestFrame } from "./grpc-frame.js";
import { h2loadArguments, latencies, type LoadFigures, summary } from "./h2load.js";
import { type HotCall, hotCall } from "./hot-call.js";
import { processCpuMs } from "./process-cpu.js";
import { RawCaller } from "./raw-call.js";
import { type ServiceUnderTest, startService } from "./service-under-test.js";
import { LOAD, pooled } from "./side-by-side.js";

/** The part's name, for BENCH_ONLY ("Replicas" runs it alone). */
export const REPLICAS_PART = "Replicas";

const fixed = (value: number, digits = 2) => value.toFixed(digits);

/**
 * GetSession of one real session through one replica of session-svc, then
 * through two replicas sharing the one Redis (a second process started
 * here), the same 64 streams in all: h2load cannot balance, so the two-replica
 * load is two h2load runs at once, one per replica, each with half the
 * connections. Rounds alternate (one, two, one, ...).
 */
export async function twoReplicas(first: ServiceUnderTest<typeof SessionService.method>, env: Record<string, string>): Promise<void> {
  const second = await startService("session-svc", SessionService, env);
  try {
    const { session } = await first.client.createSession({ userId: "replica_user", clientId: "replica_client" });
    const call = hotCall(SessionService.method.getSession, { sessionId: session!.sessionId });
    for (const replica of [first, second]) {
      const caller = new RawCaller(replica.port);
      for (let i = 0; i < 60; i++) await caller.call(call.path, call.request);
      caller.close();
    }
    const half = { ...LOAD, connections: Math.max(1, Math.floor(LOAD.connections / 2)) };
    const one: LoadFigures[] = [];
    const two: LoadFigures[] = [];
    for (let round = 0; round < LOAD.rounds; round++) {
      one.push(await h2loadAsync(first, call, LOAD));
      two.push(together(await Promise.all([h2loadAsync(first, call, half), h2loadAsync(second, call, half)])));
    }
    const [alone, both] = [pooled(one), pooled(two)];
    console.log(
      `\n${REPLICAS_PART}: ${call.name} through one vs two replicas of session-svc on one Redis; h2load ${LOAD.connections} x ${LOAD.streams} streams against one replica, ` +
        `vs ${half.connections} x ${LOAD.streams} against each of two at once (h2load does not balance; one run per replica), ${LOAD.rounds} x ${LOAD.seconds} s each`,
    );
    for (const [label, figures] of [
      ["one replica", alone],
      ["two replicas", both],
    ] as const)
      console.log(
        `  ${label.padEnd(13)} ${String(Math.round(figures.perSecond)).padStart(7)} req/s  p50 ${fixed(figures.p50).padStart(7)} ms  p99 ${fixed(figures.p99).padStart(7)} ms  h2load-failed ${figures.failed}`,
      );
    console.log(`  two / one: ${fixed(both.perSecond / alone.perSecond)} x req/s (2 cores: the replicas share them with Redis and h2load)`);
  } finally {
    second.stop();
  }
}

/** Runs done at the same time as one: requests summed over the longest run's duration, latencies pooled. */
function together(runs: LoadFigures[]): LoadFigures {
  return {
    requests: runs.reduce((sum, run) => sum + run.requests, 0),
    seconds: Math.max(...runs.map((run) => run.seconds)),
    latenciesMs: runs.flatMap((run) => run.latenciesMs),
    failed: runs.reduce((sum, run) => sum + run.failed, 0),
    cpuMicrosPerCall: runs.reduce((sum, run) => sum + run.cpuMicrosPerCall, 0) / runs.length,
  };
}

/** One h2load run like h2load.ts's, without blocking the event loop, so several can run at once. */
async function h2loadAsync(
  server: { port: number; pid: number },
  call: HotCall,
  load: { connections: number; streams: number; seconds: number },
): Promise<LoadFigures> {
  const dir = await mkdtemp(join(tmpdir(), "fm-h2load-"));
  try {
    const body = join(dir, "request.bin");
    const log = join(dir, "requests.log");
    await writeFile(body, grpcRequestFrame(call.request));
    const cpuBefore = processCpuMs(server.pid);
    const child = spawn("h2load", h2loadArguments({ port: server.port, path: call.path }, load, body, log), {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    if (code !== 0) throw new Error(`h2load failed (${code}):\n${stdout}`);
    const cpuMs = processCpuMs(server.pid) - cpuBefore;
    const text = await readFile(log, "utf8");
    return {
      ...summary(stdout),
      latenciesMs: latencies(text, load.seconds),
      cpuMicrosPerCall: (cpuMs * 1000) / text.trim().split("\n").length,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
