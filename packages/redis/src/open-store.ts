import type { Logger } from "pino";
import type { RedisClient } from "./client.js";
import type { RedisConfig, RedisMode } from "./config.js";
import { connectOrFallback, type Environment } from "./connect-or-fallback.js";
import type { Registry } from "prom-client";
import { NamespaceSampler } from "./namespace-sampler.js";
import { RedisReadiness } from "./readiness.js";

/** Anything a service keeps its data in. */
export interface ClosableStore {
  close(): Promise<void>;
}

/**
 * Opens a service's store per its storage type and ENVIRONMENT (seed §8):
 * "inmemory" on request; else Redis, falling back to memory with a warning
 * in development when Redis is unreachable at start (production refuses to
 * start). With Redis, `setServing` follows Redis readiness, so health turns
 * NOT_SERVING during an outage and back by itself.
 */
export async function openStore<S extends ClosableStore>(options: {
  storageType: "redis" | "inmemory";
  /** The variable that chose the storage type, for log lines. */
  storageVariable: string;
  environment: Environment;
  redis: RedisConfig;
  connectionName: string;
  logger: Logger;
  setServing: (serving: boolean) => void;
  createRedisStore: (client: RedisClient, mode: RedisMode) => S;
  createMemoryStore: () => S;
  /** Key namespaces this service owns, sampled into `registry` every `intervalMs` (Redis only). */
  keyspace?: { namespaces: readonly string[]; registry: Registry; intervalMs: number };
}): Promise<{
  store: S;
  backend: "redis" | "memory";
  /** The store's Redis client (for companions on the same connection: the audit trail); undefined in memory. */
  client: RedisClient | undefined;
  close: () => Promise<void>;
}> {
  const { logger, setServing } = options;
  const inMemory = () => {
    setServing(true);
    const store = options.createMemoryStore();
    return { store, backend: "memory" as const, client: undefined, close: () => store.close() };
  };
  if (options.storageType === "inmemory") {
    logger.warn(`${options.storageVariable}=inmemory: data lives in this process only and is lost on restart`);
    return inMemory();
  }
  const choice = await connectOrFallback({
    config: options.redis,
    environment: options.environment,
    connectionName: options.connectionName,
    allowMemoryFallback: true,
    logger,
  });
  if (choice.kind === "memory") return inMemory();
  const readiness = new RedisReadiness(choice.client).start();
  readiness.on("change", (ready) => {
    setServing(ready);
    if (ready) logger.info("redis is back: serving");
    else logger.error("redis is unreachable: NOT_SERVING, calls fail with UNAVAILABLE");
  });
  setServing(readiness.ready);
  const store = options.createRedisStore(choice.client, options.redis.mode);
  const sampler = options.keyspace
    ? new NamespaceSampler(choice.client, options.keyspace.namespaces, options.keyspace.registry, logger).start(options.keyspace.intervalMs)
    : undefined;
  return {
    store,
    backend: "redis",
    client: choice.client,
    close: async () => {
      sampler?.stop();
      readiness.stop();
      await store.close();
    },
  };
}
