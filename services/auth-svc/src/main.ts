import { auditBinding, openAuditTrail } from "@faultmaven/audit";
import { AuthService } from "@faultmaven/contract/auth";
import { bind, ReadinessFlag, runService } from "@faultmaven/grpc-kit";
import { openStore } from "@faultmaven/redis";
import { Counter, Gauge } from "prom-client";
import { readAuthConfig } from "./config.js";
import { Accounts } from "./domain/accounts.js";
import type { AuthStore } from "./domain/auth-store.js";
import { HASHING_LANES, HashingSlots } from "./domain/hashing-slots.js";
import type { LoginAttempts } from "./domain/login-attempts.js";
import { LoginThrottle } from "./domain/login-throttle.js";
import { Passwords } from "./domain/passwords.js";
import { AuthAudit } from "./grpc/auth-audit.js";
import { authHandlers } from "./grpc/auth-handlers.js";
import { MemoryAuthStore } from "./memory/memory-auth-store.js";
import { MemoryLoginAttempts } from "./memory/memory-login-attempts.js";
import { RedisAuthStore } from "./redis/redis-auth-store.js";
import { authKeySchema } from "./redis/key-schema.js";
import { authKeys } from "./redis/keys.js";
import { RedisLoginAttempts } from "./redis/redis-login-attempts.js";

/** Users and tokens, and the failed-login counters, on one backend. */
interface AuthStores {
  readonly store: AuthStore;
  readonly attempts: LoginAttempts;
  close(): Promise<void>;
}

const together = (store: AuthStore, attempts: LoginAttempts): AuthStores => ({
  store,
  attempts,
  close: async () => {
    await Promise.all([store.close(), attempts.close()]);
  },
});

runService({
  name: "auth-svc",
  config: readAuthConfig,
  namespaces: authKeySchema.namespaces,
  // The largest valid request (a user with 32 roles, 1024-character passwords) is under 16 KB.
  maxRequestBytes: 64 * 1024,
  async open({ config, logger, keyspace, metrics }) {
    const redis = new ReadinessFlag();
    const {
      store: stores,
      client,
      close,
    } = await openStore<AuthStores>({
      storageType: config.storageType,
      storageVariable: "AUTH_STORAGE_TYPE",
      environment: config.environment,
      redis: config.redis,
      connectionName: "auth-svc",
      logger,
      setServing: (ready) => redis.set(ready),
      createRedisStore: (client, mode) =>
        together(new RedisAuthStore(client, mode, config.replicationWait), new RedisLoginAttempts(client)),
      createMemoryStore: () => together(new MemoryAuthStore(), new MemoryLoginAttempts()),
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
      stores: { store: stores.store, attempts: stores.attempts, audit },
      readiness: { redis },
      // The queued audit records go out before the connection closes.
      close: () => audit.close().finally(close),
      onPermissionDenied: audit.recordDenial,
    };
  },
  handlers({ store, attempts, audit }, { config, metrics }) {
    const runs = new Counter({
      name: "password_hash_runs_total",
      help: "argon2 runs (hash or verify) started, by lane (login, account); a throttled Login starts none.",
      labelNames: ["lane"],
      registers: [metrics.registry],
    });
    const slots = new HashingSlots(config.hashing, (lane) => runs.inc({ lane }));
    new Gauge({
      name: "password_hash_queue",
      help: "argon2 runs waiting for a slot, by lane (against AUTH_PASSWORD_HASH_QUEUE / AUTH_PASSWORD_HASH_ACCOUNT_QUEUE).",
      labelNames: ["lane"],
      registers: [metrics.registry],
      collect() {
        for (const lane of HASHING_LANES) this.set({ lane }, slots.waiting(lane));
      },
    });
    const passwords = new Passwords(config.passwordPolicy, slots);
    const accounts = new Accounts(store, passwords, config.tokenTtlMs, new LoginThrottle(attempts, config.loginThrottle));
    return [bind(AuthService, authHandlers(accounts, store, passwords, new AuthAudit(audit))), auditBinding(audit)];
  },
});
