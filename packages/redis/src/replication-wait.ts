import { ConfigError, type EnvReader } from "@faultmaven/config";
import { UnavailableError } from "@faultmaven/errors";
import type { RedisClient } from "./client.js";
import type { RedisConfig } from "./config.js";

/** How many replicas must confirm a must-not-lose write, and how long to wait for them. 0 replicas: off. */
export interface ReplicationWait {
  readonly replicas: number;
  readonly timeoutMs: number;
}

/**
 * REDIS_WAIT_REPLICAS (default 0: off) and REDIS_WAIT_TIMEOUT_MS (default
 * 500). The timeout stays below REDIS_COMMAND_TIMEOUT_MS so that WAIT's own
 * answer, not the client's timeout, says how many replicas confirmed.
 * Standalone and Sentinel only: on Cluster a keyless WAIT would go to any
 * node, not the one that took the write.
 */
export function readReplicationWait(env: EnvReader, redis: RedisConfig): ReplicationWait {
  const replicas = env.integer("REDIS_WAIT_REPLICAS", 0, 0, 16);
  const timeoutMs = env.integer("REDIS_WAIT_TIMEOUT_MS", 500, 10, 60_000);
  if (replicas > 0 && redis.mode === "cluster") {
    throw new ConfigError("REDIS_WAIT_REPLICAS", "is for standalone or Sentinel Redis, not Cluster");
  }
  if (replicas > 0 && timeoutMs >= redis.commandTimeoutMs) {
    throw new ConfigError("REDIS_WAIT_TIMEOUT_MS", "must be below REDIS_COMMAND_TIMEOUT_MS");
  }
  return { replicas, timeoutMs };
}

/**
 * After a write that must not be lost has been applied on the master: WAIT
 * until `wait.replicas` replicas have every write this connection sent so
 * far. Fewer in time, or no answer, is UnavailableError NOT_REPLICATED
 * (applied on the master, not known to be on the replicas). WAIT narrows
 * what a failover can lose; it does not make Redis strongly consistent (a
 * replica that confirmed can still lose the race to be promoted, and the
 * master keeps the write even when WAIT times out).
 */
export async function confirmReplicated(client: RedisClient, wait: ReplicationWait): Promise<void> {
  if (wait.replicas === 0) return;
  let confirmed: number;
  try {
    confirmed = Number(await client.call("WAIT", wait.replicas, wait.timeoutMs));
  } catch (error) {
    throw new UnavailableError("redis", { cause: error, notReplicated: true });
  }
  if (confirmed < wait.replicas) throw new UnavailableError("redis", { notReplicated: true });
}
