/**
 * `pnpm start`: runs every service of the suite on its default port, for
 * development on a fresh clone. Redis comes from REDIS_HOST/REDIS_PORT
 * (default localhost:6379) when it answers; otherwise each service falls back
 * to its in-memory store with a warning (ENVIRONMENT=development). Ctrl-C
 * stops everything cleanly.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";

const SERVICES = [
  { name: "session-svc", entry: "services/session-svc/src/main.ts", port: 50051 },
  { name: "auth-svc", entry: "services/auth-svc/src/main.ts", port: 50052 },
  { name: "report-svc", entry: "services/report-svc/src/main.ts", port: 50053 },
].filter((s) => existsSync(s.entry));

const children: ChildProcess[] = [];
let ready = 0;
let stopping = false;

for (const service of SERVICES) {
  const child = spawn(process.execPath, ["--import", "tsx", service.entry], {
    env: { ENVIRONMENT: "development", GRPC_PORT: String(service.port), ...process.env },
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
      } else if (entry.msg === "rpc" || (entry.level ?? 30) < 30) {
        return;
      } else {
        shown = `${entry.msg ?? line}${entry.level && entry.level >= 40 ? " [warning]" : ""}`;
      }
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

function stop(exitCode = 0): void {
  stopping = true;
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  if (alive.length === 0) process.exit(exitCode);
  let left = alive.length;
  for (const child of alive) {
    child.once("exit", () => {
      if (--left === 0) process.exit(exitCode);
    });
    child.kill("SIGTERM");
  }
}

process.on("SIGINT", () => stop(0));
process.on("SIGTERM", () => stop(0));
