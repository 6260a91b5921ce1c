import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { grpcRequestFrame } from "./grpc-frame.js";
import { processCpuMs } from "./process-cpu.js";

/** What one h2load run measured: requests per second, latency percentiles in ms, and failures h2load saw. */
export interface LoadFigures {
  readonly requests: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly failed: number;
  /** CPU µs the server process used per request over the whole run (warm-up included), when its pid was given. */
  readonly cpuMicrosPerCall: number;
}

/** Makes sure h2load (Debian's nghttp2-client) is on PATH: installs it when running as root, else says how. */
export function ensureH2load(): void {
  if (spawnSync("h2load", ["--version"]).status === 0) return;
  if (process.getuid?.() !== 0) throw new Error("h2load is missing: install it with `sudo apt-get install -y nghttp2-client`");
  console.log("h2load is missing: apt-get install -y nghttp2-client");
  const install = spawnSync("apt-get", ["install", "-y", "nghttp2-client"], { stdio: "inherit" });
  if (install.status !== 0) throw new Error("apt-get install nghttp2-client failed");
}

/**
 * Drives one unary gRPC method with h2load over cleartext HTTP/2 (prior
 * knowledge): `connections` × `streams` requests in flight, the same request
 * body each time, for `seconds` after a 1 s warm-up. h2load only sees HTTP
 * statuses, not grpc-status trailers: the caller checks gRPC codes itself.
 */
export function h2load(
  target: { port: number; path: string; request: Uint8Array; pid?: number },
  load: { connections: number; streams: number; seconds: number },
): LoadFigures {
  const dir = mkdtempSync(join(tmpdir(), "fm-h2load-"));
  try {
    const body = join(dir, "request.bin");
    const log = join(dir, "requests.log");
    writeFileSync(body, grpcRequestFrame(target.request));
    const args = h2loadArguments(target, load, body, log);
    const cpuBefore = target.pid === undefined ? Number.NaN : processCpuMs(target.pid);
    const run = spawnSync("h2load", args, { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`h2load failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    const cpuMs = target.pid === undefined ? Number.NaN : processCpuMs(target.pid) - cpuBefore;
    const text = readFileSync(log, "utf8");
    const everyRequest = text.trim().split("\n").length;
    return { ...summary(run.stdout), latenciesMs: latencies(text, load.seconds), cpuMicrosPerCall: (cpuMs * 1000) / everyRequest };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** h2load's command line for a run sending the request in `body`, its per-request log written to `log`. */
export function h2loadArguments(
  target: { port: number; path: string },
  load: { connections: number; streams: number; seconds: number },
  body: string,
  log: string,
): string[] {
  const args = ["-c", String(load.connections), "-m", String(load.streams), "-D", String(load.seconds), "--warm-up-time", "1"];
  args.push("-H", "content-type: application/grpc", "-H", "te: trailers", "-d", body, "--log-file", log);
  args.push(`http://127.0.0.1:${target.port}${target.path}`);
  return args;
}

/** Requests done and failed in the measured period, from h2load's "requests:" line. */
export function summary(stdout: string): { requests: number; seconds: number; failed: number } {
  const done = /requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
  const took = /finished in ([\d.]+)(m?s)/.exec(stdout);
  if (!done || !took) throw new Error(`unexpected h2load output:\n${stdout}`);
  const seconds = Number(took[1]) / (took[2] === "ms" ? 1000 : 1);
  return { requests: Number(done[1]), seconds, failed: Number(done[2]) + Number(done[3]) };
}

/** Per-request latencies (ms) of the requests that started in the last `seconds` of the log (after the warm-up). */
export function latencies(log: string, seconds: number): number[] {
  const rows = log
    .trim()
    .split("\n")
    .map((line) => line.split("\t").map(Number) as [number, number, number]);
  const end = rows.reduce((latest, [start]) => Math.max(latest, start), 0);
  return rows.filter(([start, status]) => start >= end - seconds * 1e6 && status === 200).map(([, , micros]) => micros / 1000);
}
