import { auditBinding, openAuditTrail } from "@faultmaven/audit";
import { AuthService } from "@faultmaven/contract/auth";
import { bind, ReadinessFlag, runService } from "@faultmaven/grpc-kit";
import { openStore } from "@faultmaven/redis";
import { readAuthConfig } from "./config.js";
import { Accounts } from "./domain/accounts.js";
import type { AuthStore } from "./domain/auth-store.js";
import { Passwords } from "./domain/passwords.js";
import { AuthAudit } from "./grpc/auth-audit.js";
import { authHandlers } from "./grpc/auth-handlers.js";
import { MemoryAuthStore } from "./memory/memory-auth-store.js";
import { RedisAuthStore } from "./redis/redis-auth-store.js";
import { authKeySchema } from "./redis/key-schema.js";
import { authKeys } from "./redis/keys.js";

runService({
  name: "auth-svc",
  config: readAuthConfig,
  namespaces: authKeySchema.namespaces,
  // The largest valid request (a user with 32 roles, 1024-character passwords) is under 16 KB.
  maxRequestBytes: 64 * 1024,
  async open({ config, logger, keyspace, metrics }) {
    const redis = new ReadinessFlag();
    const { store, client, close } = await openStore<AuthStore>({
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
    const audit = openAuditTrail({
      service: "auth-svc",
      streamKey: authKeys.audit(),
      client,
      config: config.audit,
      logger,
      registry: metrics.registry,
    });
    return {
      stores: { store, audit },
      readiness: { redis },
      // The queued audit records go out before the connection closes.
      close: () => audit.close().finally(close),
    };
  },
  handlers({ store, audit }, { config }) {
    const passwords = new Passwords(config.passwordPolicy);
    const accounts = new Accounts(store, passwords, config.tokenTtlMs);
    return [bind(AuthService, authHandlers(accounts, store, passwords, new AuthAudit(audit))), auditBinding(audit)];
  },
});
