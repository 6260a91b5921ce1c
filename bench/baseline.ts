import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { EnvReader } from "@faultmaven/config";
import type { BaselineMethod } from "./baseline-server.js";

/** A running baseline-server.ts process. */
export interface Baseline {
  readonly port: number;
  readonly pid: number;
  stop(): void;
}

/** Starts baseline-server.ts for `methods` against the Redis on `redisPort`; resolves with its port. */
export function startBaseline(redisPort: number, methods: BaselineMethod[]): Promise<Baseline> {
  return startReplayServer("bench/baseline-server.ts", redisPort, methods);
}

/**
 * Starts a server that replays `methods` against the Redis on `redisPort`
 * (baseline-server.ts, or ladder-server.ts with its level as `args`), with
 * BENCH_NODE_FLAGS as the services get them; resolves with its port.
 */
export async function startReplayServer(
  script: string,
  redisPort: number,
  methods: BaselineMethod[],
  args: string[] = [],
): Promise<Baseline> {
  const dir = mkdtempSync(join(tmpdir(), "fm-baseline-"));
  const specFile = join(dir, "spec.json");
  writeFileSync(specFile, JSON.stringify({ redisPort, methods }));
  const flags = new EnvReader().string("BENCH_NODE_FLAGS")?.split(" ").filter(Boolean) ?? []; // as for the services
  const child = spawn(process.execPath, [...flags, "--import", "tsx", script, specFile, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [line] = await Promise.race([
    createInterface({ input: child.stdout! })
      [Symbol.asyncIterator]()
      .next()
      .then((next) => [next.value as string | undefined]),
    new Promise<never>((_, reject) => child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)))),
  ]);
  rmSync(dir, { recursive: true, force: true });
  const { port } = JSON.parse(line ?? "{}") as { port: number };
  return { port, pid: child.pid!, stop: () => void child.kill("SIGTERM") };
}
