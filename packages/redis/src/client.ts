import { Cluster, Redis, type ClusterOptions, type RedisOptions } from "ioredis";
import type { RedisConfig } from "./config.js";
import { batchWritesPerTick } from "./batch-writes.js";
import { RedisClock } from "./redis-clock.js";
import { honourCallScopes } from "./scoped-commands.js";
import { boundWrites } from "./write-bound.js";

/** A standalone/Sentinel connection or a Cluster: both speak the same commands. */
export type RedisClient = Redis | Cluster;

/**
 * Creates a client that fails fast instead of waiting: no offline queue (a
 * command while disconnected fails at once), no retry of in-flight commands
 * after a drop (a retried script could apply twice), and a per-command
 * timeout, bounded further by the deadline of the call a command is sent for
 * (and aborted when that call is cancelled; see `honourCallScopes`). Its
 * scripts carry a not-after bound in the Redis clock (see `notAfter`), so a
 * script that arrives after the caller stopped waiting does nothing. It keeps
 * reconnecting in the background with a short backoff, so the service
 * recovers by itself when Redis returns.
 *
 * The client is created disconnected (lazyConnect): call `connect()`.
 */
export function createRedisClient(config: RedisConfig, connectionName: string): RedisClient {
  const client = createClient(config, connectionName);
  batchWritesPerTick(client);
  honourCallScopes(client);
  const clock = new RedisClock(client);
  client.on("end", () => clock.stop());
  boundWrites(client, clock, config.commandTimeoutMs);
  return client;
}

function createClient(config: RedisConfig, connectionName: string): RedisClient {
  const failFast = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: config.commandTimeoutMs,
    connectTimeout: config.connectTimeoutMs,
    lazyConnect: true,
  } satisfies RedisOptions;
  const server: RedisOptions = {
    ...failFast,
    connectionName,
    db: config.db,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1000),
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    ...(config.tls ? { tls: config.tls } : {}),
  };
  switch (config.mode) {
    case "standalone":
      return new Redis({ ...server, host: config.host, port: config.port });
    case "sentinel":
      return new Redis({
        ...server,
        sentinels: config.sentinels.map((s) => ({ host: s.host, port: s.port })),
        name: config.sentinelMaster,
        sentinelRetryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1000),
        // A frozen Sentinel must not hold up finding the master.
        sentinelCommandTimeout: config.commandTimeoutMs,
        // Drop the connection on +switch-master: after a planned failover the
        // old master stays up and takes writes until Sentinel demotes it (up
        // to ~10 s later), and those writes are lost when it resyncs.
        failoverDetector: true,
        sentinelReconnectStrategy: (attempt) => Math.min(1000 * attempt, 5000),
        // Still on a demoted master: fail the command (UNAVAILABLE) and reconnect through Sentinel.
        reconnectOnError: (error) => (error.message.startsWith("READONLY") ? 1 : false),
        ...(config.sentinelPassword ? { sentinelPassword: config.sentinelPassword } : {}),
      });
    case "cluster": {
      // In Cluster mode the fail-fast options go at the top level.
      const options: ClusterOptions = {
        ...failFast,
        redisOptions: server,
        clusterRetryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1000),
      };
      return new Cluster(
        config.clusterNodes.map((n) => ({ host: n.host, port: n.port })),
        options,
      );
    }
  }
}
