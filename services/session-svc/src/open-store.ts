import type { HealthStatus, Logger } from "@faultmaven/grpc-kit";
import { connectOrFallback, RedisReadiness } from "@faultmaven/redis";
import type { SessionServiceConfig } from "./config.js";
import type { SessionStore } from "./domain/session-store.js";
import { MemorySessionStore } from "./memory/memory-session-store.js";
import { RedisSessionStore } from "./redis/redis-session-store.js";

/**
 * Picks the store per SESSION_STORAGE_TYPE and ENVIRONMENT (seed §8) and
 * ties health to it: with Redis, health follows Redis readiness, so it turns
 * NOT_SERVING during an outage and back by itself.
 */
export async function openStore(
  config: SessionServiceConfig,
  health: HealthStatus,
  logger: Logger,
): Promise<{ store: SessionStore; close: () => Promise<void> }> {
  if (config.storageType === "inmemory") {
    logger.warn("SESSION_STORAGE_TYPE=inmemory: sessions live in this process only and are lost on restart");
    health.set(true);
    return inMemory(config);
  }
  const choice = await connectOrFallback({
    config: config.redis,
    environment: config.environment,
    connectionName: "session-svc",
    allowMemoryFallback: true,
    logger,
  });
  if (choice.kind === "memory") {
    health.set(true);
    return inMemory(config);
  }
  const readiness = new RedisReadiness(choice.client).start();
  readiness.on("change", (ready) => {
    health.set(ready);
    if (ready) logger.info("redis is back: serving");
    else logger.error("redis is unreachable: NOT_SERVING, calls fail with UNAVAILABLE");
  });
  health.set(readiness.ready);
  const store = new RedisSessionStore(choice.client, config.policy, config.redis.mode);
  return {
    store,
    close: async () => {
      readiness.stop();
      await store.close();
    },
  };
}

function inMemory(config: SessionServiceConfig) {
  const store = new MemorySessionStore(config.policy);
  return { store, close: () => store.close() };
}
