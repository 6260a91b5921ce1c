import { SessionService } from "@faultmaven/contract/session";
import { createLogger, HealthStatus, implement, runMain, serve, ServiceMetrics } from "@faultmaven/grpc-kit";
import { openStore } from "@faultmaven/redis";
import { readSessionConfig } from "./config.js";
import type { SessionStore } from "./domain/session-store.js";
import { sessionHandlers } from "./grpc/session-handlers.js";
import { MemorySessionStore } from "./memory/memory-session-store.js";
import { RedisSessionStore } from "./redis/redis-session-store.js";
import { sessionKeySchema } from "./redis/key-schema.js";

const logger = createLogger("session-svc");

runMain(logger, async () => {
  const config = readSessionConfig();
  const health = new HealthStatus([SessionService.typeName]);
  const metrics = new ServiceMetrics("session-svc");
  const { store, close } = await openStore<SessionStore>({
    storageType: config.storageType,
    storageVariable: "SESSION_STORAGE_TYPE",
    environment: config.environment,
    redis: config.redis,
    connectionName: "session-svc",
    logger,
    setServing: (serving) => health.set(serving),
    createRedisStore: (client, mode) => new RedisSessionStore(client, config.policy, mode),
    createMemoryStore: () => new MemorySessionStore(config.policy),
    keyspace: {
      namespaces: sessionKeySchema.namespaces,
      registry: metrics.registry,
      intervalMs: config.server.keyspaceSampleIntervalMs,
    },
  });
  await serve({
    services: [
      {
        service: SessionService,
        implementation: implement(SessionService, sessionHandlers(store), { logger, observers: [metrics.observer] }),
      },
    ],
    config: config.server,
    health,
    metrics,
    logger,
    environment: config.environment,
    onShutdown: close,
  });
});
