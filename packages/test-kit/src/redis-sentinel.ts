import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./free-port.js";
import { RedisServer } from "./redis-server.js";
import { waitFor } from "./wait-for.js";

/** A real Redis Sentinel on a free port watching a fresh master ("mymaster"). */
export class RedisSentinel {
  private constructor(
    readonly master: RedisServer,
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RedisSentinel> {
    const master = await RedisServer.start();
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "fm-sentinel-"));
    const conf = join(dir, "sentinel.conf");
    writeFileSync(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
        "sentinel down-after-milliseconds mymaster 1000",
        "",
      ].join("\n"),
    );
    const child = spawn("redis-server", [conf, "--sentinel"], { stdio: "ignore" });
    const sentinel = new RedisSentinel(master, port, child, dir);
    await waitFor("sentinel to know its master", async () => {
      const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null });
      probe.on("error", () => {});
      try {
        await probe.connect();
        const address = (await probe.call("SENTINEL", "get-master-addr-by-name", "mymaster")) as string[] | null;
        return address?.[1] === String(master.port);
      } finally {
        probe.disconnect();
      }
    });
    return sentinel;
  }

  /** Environment that points a service at the master through this Sentinel. */
  get env(): Record<string, string> {
    return { REDIS_SENTINELS: `127.0.0.1:${this.port}`, REDIS_SENTINEL_MASTER: "mymaster" };
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => (this.child.exitCode !== null ? resolve(null) : this.child.once("exit", resolve)));
    this.child.kill("SIGKILL");
    await exited;
    await this.master.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
