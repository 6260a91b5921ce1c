import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./free-port.js";
import { redisAnswers } from "./redis-answers.js";
import { waitFor } from "./wait-for.js";

/** How a Sentinel watches its master; times in milliseconds. */
export interface SentinelWatch {
  readonly masterName: string;
  readonly masterPort: number;
  readonly quorum: number;
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
}

/**
 * One real Sentinel process (redis-server --sentinel) on a free loopback
 * port, with its own config file (Sentinel rewrites it as it learns).
 */
export class SentinelProcess {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(watch: SentinelWatch): Promise<SentinelProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "fm-sentinel-"));
    const conf = join(dir, "sentinel.conf");
    const name = watch.masterName;
    writeFileSync(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `sentinel monitor ${name} 127.0.0.1 ${watch.masterPort} ${watch.quorum}`,
        `sentinel down-after-milliseconds ${name} ${watch.downAfterMs}`,
        `sentinel failover-timeout ${name} ${watch.failoverTimeoutMs}`,
        `sentinel parallel-syncs ${name} 1`,
        "",
      ].join("\n"),
    );
    const child = spawn("redis-server", [conf, "--sentinel"], { stdio: "ignore" });
    const sentinel = new SentinelProcess(port, child, dir);
    await waitFor(`sentinel on port ${port}`, () => redisAnswers(port));
    return sentinel;
  }

  /** Runs one SENTINEL subcommand on a short-lived connection. */
  async ask(...args: string[]): Promise<unknown> {
    const probe = new Redis({ port: this.port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      return await probe.call("SENTINEL", ...args);
    } finally {
      probe.disconnect();
    }
  }

  /** The port of the master this Sentinel currently names for `masterName`. */
  async masterPort(masterName: string): Promise<number | undefined> {
    const address = (await this.ask("get-master-addr-by-name", masterName)) as string[] | null;
    return address ? Number(address[1]) : undefined;
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGKILL");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
