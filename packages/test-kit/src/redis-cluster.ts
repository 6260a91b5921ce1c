import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { freePorts } from "./free-port.js";
import { redisAnswers } from "./redis-answers.js";
import { waitFor } from "./wait-for.js";

const run = promisify(execFile);

/**
 * A real 3-master Redis Cluster on loopback (no replicas, nothing persisted),
 * for proving that multi-key steps respect the CROSSSLOT rule.
 */
export class RedisCluster {
  private constructor(
    readonly ports: readonly number[],
    private readonly processes: readonly ChildProcess[],
    private readonly dir: string,
  ) {}

  static async start(): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), "fm-cluster-"));
    // The cluster bus would otherwise listen on port + 10000, a port nobody checked was free
    // (50051 when a node gets 40051: `pnpm start`'s port). Each node gets a free bus port too.
    const [a, b, c, ...busPorts] = await freePorts(6);
    const ports = [a!, b!, c!];
    const processes = ports.map((port, i) =>
      spawn(
        "redis-server",
        [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--save",
          "",
          "--appendonly",
          "no",
          "--cluster-enabled",
          "yes",
          "--cluster-port",
          String(busPorts[i]),
          "--cluster-config-file",
          join(dir, `nodes-${port}.conf`),
          "--dir",
          dir,
        ],
        { stdio: "ignore" },
      ),
    );
    const cluster = new RedisCluster(ports, processes, dir);
    for (const port of ports) {
      await waitFor(`cluster node ${port}`, () => redisAnswers(port));
    }
    await run("redis-cli", ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"], {
      timeout: 30_000,
    });
    // Every node, not just the first, must know all three and all slots: a client's first slot refresh asks any of them.
    for (const port of ports) {
      await waitFor(
        `cluster_state:ok on node ${port}`,
        async () => {
          const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
          try {
            await probe.connect();
            const info = await probe.cluster("INFO");
            return info.includes("cluster_state:ok") && info.includes("cluster_known_nodes:3") && info.includes("cluster_slots_ok:16384");
          } finally {
            probe.disconnect();
          }
        },
        30_000,
      );
    }
    return cluster;
  }

  /** Environment that points a service at this cluster. */
  get env(): Record<string, string> {
    return { REDIS_CLUSTER_NODES: this.ports.map((p) => `127.0.0.1:${p}`).join(",") };
  }

  /**
   * Moves `slot` to another master the way a resharding does: IMPORTING on
   * the target, MIGRATING on the owner, MIGRATE of every key, then
   * SETSLOT NODE on the target, the old owner and the third node. `midway`
   * runs once the target owns the slot and before the old owner is told:
   * writes then reach the target (through ASK from the old owner), and
   * whatever the target publishes reaches no subscriber of the old owner.
   */
  async moveSlot(slot: number, midway: () => Promise<void> = async () => undefined): Promise<{ from: number; to: number }> {
    const nodes = await Promise.all(
      this.ports.map(async (port) => {
        const redis = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
        await redis.connect();
        return { port, redis, id: String(await redis.call("CLUSTER", "MYID")) };
      }),
    );
    try {
      const ranges = (await nodes[0]!.redis.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
      const ownerPort = ranges.find(([low, high]) => low <= slot && slot <= high)?.[2][1];
      const from = nodes.find((n) => n.port === ownerPort)!;
      const to = nodes.find((n) => n !== from)!;
      await to.redis.call("CLUSTER", "SETSLOT", slot, "IMPORTING", from.id);
      await from.redis.call("CLUSTER", "SETSLOT", slot, "MIGRATING", to.id);
      for (;;) {
        const keys = (await from.redis.call("CLUSTER", "GETKEYSINSLOT", slot, 100)) as string[];
        if (keys.length === 0) break;
        await from.redis.call("MIGRATE", "127.0.0.1", to.port, "", 0, 5000, "KEYS", ...keys);
      }
      await to.redis.call("CLUSTER", "SETSLOT", slot, "NODE", to.id);
      await midway();
      for (const node of [from, ...nodes.filter((n) => n !== to && n !== from)]) {
        await node.redis.call("CLUSTER", "SETSLOT", slot, "NODE", to.id);
      }
      return { from: from.port, to: to.port };
    } finally {
      for (const node of nodes) node.redis.disconnect();
    }
  }

  /** Freezes every node (SIGSTOP): connections stay open but nothing answers, like hung hosts. */
  pause(): void {
    for (const child of this.processes) child.kill("SIGSTOP");
  }

  /** Thaws paused nodes (SIGCONT). */
  resume(): void {
    for (const child of this.processes) child.kill("SIGCONT");
  }

  async close(): Promise<void> {
    this.resume();
    await Promise.all(
      this.processes.map(
        (child) =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve(null);
            child.once("exit", resolve);
            child.kill("SIGKILL");
          }),
      ),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
