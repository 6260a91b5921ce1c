import { execFileSync, spawn } from "node:child_process";
import { get } from "node:http";
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { EnvReader, processEnvironment } from "@faultmaven/config";
import { createClient, type PromiseClient } from "@faultmaven/grpc-kit";
import { parseMetrics } from "@faultmaven/test-kit";

const deployed = new Map<string, string>();

/**
 * Compiles the services and lays each out as its image does (`pnpm build`,
 * then `pnpm deploy` of its production dependencies, hoisted, with dist/
 * beside them), in a temporary folder, for startService.
 */
export function buildServices(...names: string[]): void {
  execFileSync("pnpm", ["build", ...names], { stdio: "inherit" });
  const root = mkdtempSync(join(tmpdir(), "fm-bench-deploy-"));
  process.on("exit", () => rmSync(root, { recursive: true, force: true }));
  for (const name of names) {
    const dir = join(root, name);
    const deploy = ["--config.node-linker=hoisted", "--filter", `@faultmaven/${name}`, "deploy", "--prod", "--offline", dir];
    execFileSync("pnpm", deploy, { stdio: "ignore" });
    cpSync(`services/${name}/dist`, join(dir, "dist"), { recursive: true });
    deployed.set(name, dir);
  }
}

/** A real service process under load, its typed client and its /metrics port. */
export interface ServiceUnderTest<T extends GenServiceMethods> {
  readonly port: number;
  readonly pid: number;
  readonly client: PromiseClient<T>;
  /** Calls of `method` the service finished with each gRPC code so far (grpc_server_handled_total). */
  handled(method: string): Promise<Map<string, number>>;
  stop(): void;
}

/**
 * Starts a service as its production image does (`pnpm build`'s compiled
 * services/<name>/dist/main.js, not TypeScript through a loader), ports picked
 * by the process; its log goes to a file rather than through this process:
 * parsing every rpc line here would take CPU from the service.
 */
export async function startService<T extends GenServiceMethods>(
  name: string,
  service: GenService<T>,
  env: Record<string, string>,
): Promise<ServiceUnderTest<T>> {
  const dir = mkdtempSync(join(tmpdir(), "fm-bench-svc-"));
  const logFile = join(dir, "service.log");
  const log = openSync(logFile, "w");
  // BENCH_NODE_FLAGS: extra node flags for the services, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const flags = new EnvReader().string("BENCH_NODE_FLAGS")?.split(" ").filter(Boolean) ?? [];
  const cwd = deployed.get(name);
  if (cwd === undefined) throw new Error(`buildServices("${name}") first`);
  const child = spawn(process.execPath, [...flags, "--enable-source-maps", "dist/main.js"], {
    cwd,
    env: { ...processEnvironment(), GRPC_PORT: "0", METRICS_PORT: "0", GRPC_HOST: "127.0.0.1", ...env },
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  const ready = await waitForReady(logFile, () => child.exitCode !== null);
  const client = createClient(service, `127.0.0.1:${ready.port}`, { defaultTimeoutMs: 5000 });
  return {
    port: ready.port,
    pid: child.pid!,
    client,
    async handled(method) {
      const codes = new Map<string, number>();
      for (const { name, labels, value } of parseMetrics(await scrape(ready.metrics_port))) {
        if (name === "grpc_server_handled_total" && labels.grpc_method === method) {
          codes.set(labels.grpc_code!, (codes.get(labels.grpc_code!) ?? 0) + value);
        }
      }
      return codes;
    },
    stop() {
      client.close();
      child.kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls the log file for the "ready" line (with the gRPC and metrics ports). */
async function waitForReady(logFile: string, exited: () => boolean): Promise<{ port: number; metrics_port: number }> {
  for (let waited = 0; waited < 30_000; waited += 100) {
    for (const line of readFileSync(logFile, "utf8").split("\n")) {
      if (line.includes('"msg":"ready"')) return JSON.parse(line) as { port: number; metrics_port: number };
    }
    if (exited()) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`service did not log "ready":\n${readFileSync(logFile, "utf8")}`);
}

/** The /metrics text, on a fresh connection (a kept-alive one may be closed by the server between runs). */
function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path: "/metrics", agent: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve(text));
    }).on("error", reject);
  });
}
