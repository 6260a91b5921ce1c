import type { Logger } from "pino";
import { createRedisClient, type RedisClient } from "./client.js";
import type { RedisConfig } from "./config.js";

/** ENVIRONMENT: development falls back to memory, production insists on Redis. */
export type Environment = "development" | "production";

/** The store a service ends up with at start. */
export type StoreChoice = { kind: "redis"; client: RedisClient } | { kind: "memory" };

/** The service cannot start; the message says why and what to set. */
export class StartupError extends Error {
  override name = "StartupError";
}

/**
 * Connects to Redis at start (seed §8). When Redis does not answer within the
 * connect timeout: production stops the start with StartupError;
 * development (when `allowMemoryFallback`) warns and chooses the in-memory
 * store, whose data is lost on restart.
 */
export async function connectOrFallback(options: {
  config: RedisConfig;
  environment: Environment;
  connectionName: string;
  allowMemoryFallback: boolean;
  logger: Logger;
}): Promise<StoreChoice> {
  const { config, environment, logger } = options;
  const client = createRedisClient(config, options.connectionName);
  // Errors are reported through connect(); keep the event from crashing the process.
  const swallow = () => {};
  client.on("error", swallow);
  try {
    await withTimeout(client.connect(), config.connectTimeoutMs + 500);
    await client.ping();
    client.off("error", swallow);
    return { kind: "redis", client };
  } catch (error) {
    client.disconnect();
    const where = describe(config);
    const reason = error instanceof Error ? error.message : String(error);
    if (environment === "production" || !options.allowMemoryFallback) {
      throw new StartupError(
        `Redis is unreachable at ${where} (${reason}); ENVIRONMENT=${environment} requires Redis. ` +
          "Check REDIS_HOST/REDIS_PORT (or REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER_NODES).",
      );
    }
    logger.warn({ redis: where, reason }, "Redis is unreachable; using the in-memory store (development only: data is lost on restart)");
    return { kind: "memory" };
  }
}

function describe(config: RedisConfig): string {
  switch (config.mode) {
    case "standalone":
      return `${config.host}:${config.port}`;
    case "sentinel":
      return `sentinel master "${config.sentinelMaster}" via ${config.sentinels.map((s) => `${s.host}:${s.port}`).join(",")}`;
    case "cluster":
      return `cluster ${config.clusterNodes.map((n) => `${n.host}:${n.port}`).join(",")}`;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
