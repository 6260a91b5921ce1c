import { RedisServer } from "./redis-server.js";
import { SentinelProcess } from "./sentinel-process.js";
import { waitFor } from "./wait-for.js";

const MASTER_NAME = "mymaster";

/** Sentinel timings short enough that a failover takes a few seconds. */
export interface SentinelTimings {
  /** How long the master must be silent before a Sentinel thinks it down. */
  readonly downAfterMs: number;
  readonly failoverTimeoutMs: number;
}

const FAST: SentinelTimings = { downAfterMs: 1000, failoverTimeoutMs: 5000 };

/**
 * A real failover setup: a master, one replica (replicaof the master) and
 * three Sentinels with quorum 2, all on free loopback ports. Ready when the
 * replica is in sync and every Sentinel knows the replica and the two other
 * Sentinels, so killing the master leads to a promotion.
 */
export class SentinelTopology {
  readonly masterName = MASTER_NAME;

  private constructor(
    /** The master at start; after a failover, the old master. */
    readonly master: RedisServer,
    /** The replica at start; a failover promotes it. */
    readonly replica: RedisServer,
    readonly sentinels: readonly SentinelProcess[],
  ) {}

  static async start(timings: SentinelTimings = FAST): Promise<SentinelTopology> {
    const master = await RedisServer.start();
    const replica = await RedisServer.start(["--replicaof", "127.0.0.1", String(master.port), "--repl-diskless-sync-delay", "0"]);
    const sentinels: SentinelProcess[] = [];
    const topology = new SentinelTopology(master, replica, sentinels);
    try {
      await waitFor("replica in sync", async () => (await replica.admin.info("replication")).includes("master_link_status:up"), 10_000);
      const watch = { masterName: MASTER_NAME, masterPort: master.port, quorum: 2, ...timings };
      sentinels.push(...(await Promise.all([0, 1, 2].map(() => SentinelProcess.start(watch)))));
      // Sentinels find each other through hello messages on the master every 2 s.
      await waitFor("every sentinel to know the replica and the other sentinels", () => topology.#sentinelsAgree(), 20_000, 100);
      return topology;
    } catch (error) {
      await topology.close();
      throw error;
    }
  }

  /** Environment that points a service at the master through the three Sentinels. */
  get env(): Record<string, string> {
    return {
      REDIS_SENTINELS: this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(","),
      REDIS_SENTINEL_MASTER: MASTER_NAME,
    };
  }

  /** Kills the master (SIGKILL, as a crash would) and waits until it is gone. */
  async killMaster(): Promise<void> {
    await this.master.stop();
  }

  /** A planned failover (SENTINEL FAILOVER): the master stays up and is made a replica of the promoted one. */
  async failover(): Promise<void> {
    await this.sentinels[0]!.ask("failover", MASTER_NAME);
  }

  /** Waits until every Sentinel names the replica as master and the replica answers as one. */
  async waitForPromotion(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      "the replica to be promoted",
      async () => {
        const named = await Promise.all(this.sentinels.map((s) => s.masterPort(MASTER_NAME)));
        if (!named.every((port) => port === this.replica.port)) return false;
        return (await this.replica.admin.info("replication")).includes("role:master");
      },
      timeoutMs,
      100,
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.sentinels.map((s) => s.close()));
    await this.replica.close();
    await this.master.close();
  }

  async #sentinelsAgree(): Promise<boolean> {
    for (const sentinel of this.sentinels) {
      const master = fields((await sentinel.ask("master", MASTER_NAME)) as string[]);
      if (master.get("num-other-sentinels") !== "2") return false;
      const replicas = ((await sentinel.ask("replicas", MASTER_NAME)) as string[][]).map(fields);
      if (replicas.length !== 1 || replicas[0]!.get("flags") !== "slave" || replicas[0]!.get("port") !== String(this.replica.port)) {
        return false;
      }
    }
    return true;
  }
}

/** SENTINEL replies are flat field/value lists. */
function fields(flat: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i]!, flat[i + 1]!);
  return map;
}
