import { EnvReader } from "@faultmaven/config";
import { h2load, type LoadFigures } from "./h2load.js";

const env = new EnvReader();
/** Measured seconds per h2load run (after its 1 s warm-up), runs per side, and the 64 streams the issue measured with. */
export const LOAD = {
  seconds: env.integer("BENCH_SECONDS", 4, 1, 600),
  rounds: env.integer("BENCH_ROUNDS", 2, 1, 100),
  connections: env.integer("BENCH_CONNECTIONS", 4, 1, 1000),
  streams: env.integer("BENCH_STREAMS", 16, 1, 1000),
};

/** Throughput and latency percentiles pooled over rounds. */
export interface Figures {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly failed: number;
  /** Server CPU µs per call, averaged over the rounds. */
  readonly cpuMicrosPerCall: number;
}

/** A server to load: its port, and its pid for CPU per call. */
export interface Server {
  readonly port: number;
  readonly pid: number;
}

/** Loads the real service and its baseline in turn (real, baseline, real, ...), LOAD.rounds times each. */
export function sideBySide(
  path: string,
  request: Uint8Array,
  servers: { real: Server; baseline: Server },
): { real: Figures; baseline: Figures } {
  const real: LoadFigures[] = [];
  const baseline: LoadFigures[] = [];
  for (let round = 0; round < LOAD.rounds; round++) {
    real.push(h2load({ ...servers.real, path, request }, LOAD));
    baseline.push(h2load({ ...servers.baseline, path, request }, LOAD));
  }
  return { real: pooled(real), baseline: pooled(baseline) };
}

/** Throughput and percentiles of several runs taken together. */
export function pooled(runs: LoadFigures[]): Figures {
  const latencies = runs.flatMap((run) => run.latenciesMs).sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? Number.NaN;
  const requests = runs.reduce((sum, run) => sum + run.requests, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  return {
    perSecond: requests / seconds,
    p50: at(0.5),
    p99: at(0.99),
    failed: runs.reduce((sum, run) => sum + run.failed, 0),
    cpuMicrosPerCall: runs.reduce((sum, run) => sum + run.cpuMicrosPerCall, 0) / runs.length,
  };
}
