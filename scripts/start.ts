/**
 * `pnpm start`: runs the whole suite for development on a fresh clone: an
 * embedded ChromaDB (data in .tmp/chroma; skipped when CHROMA_URL is set)
 * and every service on its default port. Redis comes from
 * REDIS_HOST/REDIS_PORT (default localhost:6379) when it answers; otherwise
 * each service falls back to its in-memory store with a warning
 * (ENVIRONMENT=development). Prints each address and a "ready:" line;
 * Ctrl-C stops everything cleanly.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { createInterface } from "node:readline";
import { chromaCli, waitFor } from "@faultmaven/test-kit";
import { processEnvironment } from "@faultmaven/config";

const SERVICES = [
  { name: "session-svc", entry: "services/session-svc/src/main.ts", port: 50051 },
  { name: "auth-svc", entry: "services/auth-svc/src/main.ts", port: 50052 },
  { name: "report-svc", entry: "services/report-svc/src/main.ts", port: 50053 },
].filter((s) => existsSync(s.entry));

const children: ChildProcess[] = [];
let chroma: ChildProcess | undefined;
let ready = 0;
let stopping = false;
process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));

const env: NodeJS.ProcessEnv = { ENVIRONMENT: "development", ...processEnvironment() };
if (!env.CHROMA_URL) env.CHROMA_URL = await startChroma(Number(env.CHROMA_PORT ?? 8000));
for (const service of SERVICES) startService(service);

async function startChroma(port: number): Promise<string> {
  mkdirSync(".tmp/chroma", { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  chroma = spawn(process.execPath, [chromaCli(), "run", "--path", ".tmp/chroma", "--host", "127.0.0.1", "--port", String(port)], {
    stdio: "ignore",
  });
  chroma.on("exit", (code) => {
    if (!stopping) {
      console.error(`[chromadb] exited with ${code}; stopping the suite`);
      stop(1);
    }
  });
  await waitFor("ChromaDB", async () => (await fetch(`${url}/api/v2/heartbeat`)).ok, 30_000, 100);
  console.log(`[chromadb] embedded, listening on ${url} (data in .tmp/chroma)`);
  return url;
}

function startService(service: (typeof SERVICES)[number]): void {
  const child = spawn(process.execPath, ["--import", "tsx", service.entry], {
    env: { ...env, GRPC_PORT: String(service.port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const print = (line: string) => {
    let shown = line;
    try {
      const entry = JSON.parse(line) as { msg?: string; level?: number; port?: number };
      if (entry.msg === "ready") {
        console.log(`[${service.name}] listening on 127.0.0.1:${entry.port}`);
        if (++ready === SERVICES.length) {
          console.log(`ready: ${SERVICES.map((s) => `${s.name} 127.0.0.1:${s.port}`).join(", ")} (Ctrl-C stops)`);
        }
        return;
      }
      if (entry.msg === "rpc" || (entry.level ?? 30) < 30) return;
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
      stop(code ?? 1);
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
    if (!chroma || chroma.exitCode !== null) process.exit(exitCode);
    chroma.once("exit", () => process.exit(exitCode));
    chroma.kill("SIGTERM");
  });
}
