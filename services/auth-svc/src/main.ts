import { AuthService } from "@faultmaven/contract/auth";
import { createLogger, HealthStatus, implement, runMain, serve, ServiceMetrics } from "@faultmaven/grpc-kit";
import { openStore } from "@faultmaven/redis";
import { readAuthConfig } from "./config.js";
import { Accounts } from "./domain/accounts.js";
import type { AuthStore } from "./domain/auth-store.js";
import { Passwords } from "./domain/passwords.js";
import { authHandlers } from "./grpc/auth-handlers.js";
import { MemoryAuthStore } from "./memory/memory-auth-store.js";
import { RedisAuthStore } from "./redis/redis-auth-store.js";
import { authKeySchema } from "./redis/key-schema.js";

const logger = createLogger("auth-svc");

runMain(logger, async () => {
  const config = readAuthConfig();
  const health = new HealthStatus([AuthService.typeName]);
  const metrics = new ServiceMetrics("auth-svc");
  const { store, close } = await openStore<AuthStore>({
    storageType: config.storageType,
    storageVariable: "AUTH_STORAGE_TYPE",
    environment: config.environment,
    redis: config.redis,
    connectionName: "auth-svc",
    logger,
    setServing: (serving) => health.set(serving),
    createRedisStore: (client, mode) => new RedisAuthStore(client, mode),
    createMemoryStore: () => new MemoryAuthStore(),
    keyspace: { namespaces: authKeySchema.namespaces, registry: metrics.registry, intervalMs: config.server.keyspaceSampleIntervalMs },
  });
  const passwords = new Passwords(config.passwordPolicy);
  const accounts = new Accounts(store, passwords, config.tokenTtlMs);
  await serve({
    services: [
      {
        service: AuthService,
        implementation: implement(AuthService, authHandlers(accounts, store, passwords), { logger, observers: [metrics.observer] }),
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
