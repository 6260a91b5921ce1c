/**
 * `pnpm start`: runs the whole suite for development on a fresh clone: an
 * embedded ChromaDB (data in .tmp/chroma; skipped when CHROMA_URL is set)
 * and every service on its own ports (see scripts/start/plan.ts for the
 * variables). Redis comes from REDIS_HOST/REDIS_PORT (default
 * localhost:6379) when it answers; otherwise each service falls back to its
 * in-memory store with a warning (ENVIRONMENT=development). A port that is
 * already taken stops the start at once with the variable that moves it.
 * Prints each address and a "ready:" line; Ctrl-C stops everything cleanly.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { chromaCli, waitFor } from "@faultmaven/test-kit";
import { EnvReader, processEnvironment } from "@faultmaven/config";
import { busyPorts } from "./start/busy-ports.js";
import { planStart, type PlannedService } from "./start/plan.js";

const children: ChildProcess[] = [];
let chroma: ChildProcess | undefined;
const listening = new Map<string, string>();
let stopping = false;
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

try {
  const plan = planStart(new EnvReader(processEnvironment()));
  const busy = await busyPorts([
    ...(plan.chroma ? [{ host: "127.0.0.1", planned: plan.chroma }] : []),
    ...plan.services.flatMap((s) => [s.grpc, s.metrics].map((planned) => ({ host: plan.host, planned }))),
  ]);
  if (busy.length > 0) throw new Error(busy.join("\n"));
  const env: NodeJS.ProcessEnv = { ENVIRONMENT: "development", ...processEnvironment() };
  if (plan.chroma) env.CHROMA_URL = await startChroma(plan.chroma.port);
  for (const service of plan.services) startService(service, env, plan.services);
} catch (error) {
  console.error(`pnpm start: ${error instanceof Error ? error.message : String(error)}`);
  stop(1);
}

async function startChroma(port: number): Promise<string> {
  mkdirSync(".tmp/chroma", { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [chromaCli(), "run", "--path", ".tmp/chroma", "--host", "127.0.0.1", "--port", String(port)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  chroma = child;
  // Chroma's own words are kept for when it dies: "exited with 0" alone tells nobody anything.
  const last: string[] = [];
  const keep = (line: string) => last.push(line) > 20 && last.shift();
  createInterface({ input: child.stdout! }).on("line", keep);
  createInterface({ input: child.stderr! }).on("line", keep);
  child.on("exit", (code) => {
    if (stopping) return;
    console.error(`[chromadb] exited with ${code}; stopping the suite. Its last words:\n${last.map((l) => `  ${l}`).join("\n")}`);
    stop(1);
  });
  await waitFor("ChromaDB", async () => child.exitCode === null && (await fetch(`${url}/api/v2/heartbeat`)).ok, 30_000, 100);
  console.log(`[chromadb] embedded, listening on ${url} (data in .tmp/chroma)`);
  return url;
}

function startService(service: PlannedService, env: NodeJS.ProcessEnv, suite: readonly PlannedService[]): void {
  const child = spawn(process.execPath, ["--import", "tsx", service.entry], {
    env: { ...env, GRPC_PORT: String(service.grpc.port), METRICS_PORT: String(service.metrics.port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const print = (line: string) => {
    let shown = line;
    try {
      const entry = JSON.parse(line) as { msg?: string; level?: number; port?: number; metrics_port?: number };
      if (entry.msg === "ready") {
        listening.set(service.name, `127.0.0.1:${entry.port}`);
        console.log(`[${service.name}] listening on 127.0.0.1:${entry.port} (metrics on :${entry.metrics_port})`);
        if (listening.size === suite.length) {
          console.log(`ready: ${suite.map((s) => `${s.name} ${listening.get(s.name)}`).join(", ")} (Ctrl-C stops)`);
        }
        return;
      }
      // A failed start also says why on stderr in plain words: show that line, not this one.
      if (entry.msg === "rpc" || entry.msg === "start failed" || (entry.level ?? 30) < 30) return;
      shown = `${entry.msg ?? line}${entry.level && entry.level >= 40 ? " [warning]" : ""}`;
    } catch {
      // not JSON: show as is
    }
    console.log(`[${service.name}] ${shown}`);
  };
  createInterface({ input: child.stdout! }).on("line", print);
  createInterface({ input: child.stderr! }).on("line", print);
  child.on("exit", (code) => {
    if (!stopping) {
      console.error(`[${service.name}] exited with ${code}; stopping the suite`);
      stop(code || 1);
    }
  });
}

/** SIGTERM to every service (they drain), then ChromaDB, then exit. */
function stop(exitCode = 0): void {
  if (stopping) return;
  stopping = true;
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  const services = alive.map(
    (child) =>
      new Promise((resolve) => {
        child.once("exit", resolve);
        child.kill("SIGTERM");
      }),
  );
  void Promise.all(services).then(() => {
    if (!chroma || chroma.exitCode !== null || chroma.signalCode !== null) process.exit(exitCode);
    chroma.once("exit", () => process.exit(exitCode));
    chroma.kill("SIGTERM");
  });
}
