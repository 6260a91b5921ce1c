import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { processEnvironment } from "@faultmaven/config";

/** A log line a service printed (pino JSON), parsed. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/**
 * A real service process started the way production starts it (node + tsx
 * on the service's main.ts), on a port it picks itself (GRPC_PORT=0). Its
 * JSON log lines are collected so tests can assert on them.
 */
export class ServiceProcess {
  readonly logs: LogLine[] = [];
  readonly rawOutput: string[] = [];
  #exit: Promise<number | null>;
  #exitCode: number | null | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** Port of the Prometheus /metrics endpoint. */
    readonly metricsPort: number,
  ) {
    this.#exit = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    void this.#exit.then((code) => (this.#exitCode = code));
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get exitCode(): number | null | undefined {
    return this.#exitCode;
  }

  /**
   * Spawns `entry` and resolves once it logs "ready" (with its port). Rejects
   * with the collected output if it exits or stays silent too long.
   */
  static async start(entry: string, env: Record<string, string>, timeoutMs = 20_000): Promise<ServiceProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      env: { ...cleanEnv(), GRPC_PORT: "0", METRICS_PORT: "0", GRPC_HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: LogLine[] = [];
    const raw: string[] = [];
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        child.kill("SIGKILL");
        reject(new Error(`${entry} ${why}:\n${raw.join("\n")}`));
      };
      const timer = setTimeout(() => fail(`did not log "ready" within ${timeoutMs} ms`), timeoutMs);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(Object.assign(new Error(`${entry} exited with ${code} before ready:\n${raw.join("\n")}`), { exitCode: code, output: raw }));
      });
      const onLine = (line: string) => {
        raw.push(line);
        const parsed = parse(line);
        if (parsed) lines.push(parsed);
        if (parsed?.msg === "ready" && typeof parsed.port === "number") {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          const service = new ServiceProcess(child, parsed.port, Number(parsed.metrics_port));
          service.logs.push(...lines);
          service.rawOutput.push(...raw);
          const follow = (next: string) => {
            service.rawOutput.push(next);
            const entryLine = parse(next);
            if (entryLine) service.logs.push(entryLine);
          };
          createInterface({ input: child.stdout! }).on("line", follow);
          createInterface({ input: child.stderr! }).on("line", follow);
          resolve(service);
        }
      };
      createInterface({ input: child.stdout! }).on("line", onLine);
      createInterface({ input: child.stderr! }).on("line", (line) => raw.push(line));
    });
  }

  /**
   * Runs `entry` expecting it to fail at start; resolves with its exit code
   * and output.
   */
  static async runToExit(entry: string, env: Record<string, string>, timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
    try {
      const service = await ServiceProcess.start(entry, env, timeoutMs);
      await service.stop();
      throw new Error(`${entry} started but was expected to fail`);
    } catch (error) {
      const failure = error as { exitCode?: number | null; output?: string[] };
      if (failure.output === undefined) throw error;
      return { code: failure.exitCode ?? null, output: failure.output.join("\n") };
    }
  }

  /** Sends a signal (SIGTERM by default) and waits for the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    if (this.#exitCode === undefined) this.child.kill(signal);
    return this.#exit;
  }

  waitForExit(): Promise<number | null> {
    return this.#exit;
  }

  /**
   * Sends SIGUSR2 without waiting for anything: a process started with
   * `--heapsnapshot-signal=SIGUSR2` (LiveHeap.env) writes a heap snapshot.
   */
  requestHeapSnapshot(): void {
    this.child.kill("SIGUSR2");
  }

  /** The process's resident memory now (VmRSS of /proc/<pid>/status), in bytes. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.child.pid}/status`, "utf8");
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    if (kib === undefined) throw new Error(`no VmRSS for process ${this.child.pid}`);
    return Number(kib) * 1024;
  }
}

function parse(line: string): LogLine | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return undefined;
  }
}

/** The parent's environment minus anything that would steer the service. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(processEnvironment())) {
    if (
      value === undefined ||
      /^(REDIS_|GRPC_|METRICS_|SESSION_|AUTH_|REPORT_|CHROMA_|EMBEDDING_|AUTHZ_|ENVIRONMENT$|NODE_OPTIONS$)/.test(key)
    )
      continue;
    env[key] = value;
  }
  return env;
}
