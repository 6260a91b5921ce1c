import { AuthService } from "@faultmaven/contract/auth";
import { bind, ReadinessFlag, runService } from "@faultmaven/grpc-kit";
import { openStore } from "@faultmaven/redis";
import { readAuthConfig } from "./config.js";
import { Accounts } from "./domain/accounts.js";
import type { AuthStore } from "./domain/auth-store.js";
import { Passwords } from "./domain/passwords.js";
import { authHandlers } from "./grpc/auth-handlers.js";
import { MemoryAuthStore } from "./memory/memory-auth-store.js";
import { RedisAuthStore } from "./redis/redis-auth-store.js";
import { authKeySchema } from "./redis/key-schema.js";

runService({
  name: "auth-svc",
  config: readAuthConfig,
  namespaces: authKeySchema.namespaces,
  // The largest valid request (a user with 32 roles, 1024-character passwords) is under 16 KB.
  maxRequestBytes: 64 * 1024,
  async open({ config, logger, keyspace }) {
    const redis = new ReadinessFlag();
    const { store, close } = await openStore<AuthStore>({
      storageType: config.storageType,
      storageVariable: "AUTH_STORAGE_TYPE",
      environment: config.environment,
      redis: config.redis,
      connectionName: "auth-svc",
      logger,
      setServing: (ready) => redis.set(ready),
      createRedisStore: (client, mode) => new RedisAuthStore(client, mode, config.replicationWait),
      createMemoryStore: () => new MemoryAuthStore(),
      keyspace,
    });
    return { stores: store, readiness: { redis }, close };
  },
  handlers(store, { config }) {
    const passwords = new Passwords(config.passwordPolicy);
    return [bind(AuthService, authHandlers(new Accounts(store, passwords, config.tokenTtlMs), store, passwords))];
  },
});
