import { auditBinding, openAuditTrail } from "@faultmaven/audit";
import { SessionService } from "@faultmaven/contract/session";
import { bind, ReadinessFlag, runService } from "@faultmaven/grpc-kit";
import { openStore } from "@faultmaven/redis";
import { readSessionConfig } from "./config.js";
import type { SessionStore } from "./domain/session-store.js";
import { sessionHandlers } from "./grpc/session-handlers.js";
import { MemorySessionStore } from "./memory/memory-session-store.js";
import { RedisSessionStore } from "./redis/redis-session-store.js";
import { sessionKeySchema } from "./redis/key-schema.js";
import { sessionKeys } from "./redis/keys.js";

runService({
  name: "session-svc",
  config: readSessionConfig,
  namespaces: sessionKeySchema.namespaces,
  // The largest valid request, an UpdateSession with 64 context entries in both
  // session.context and set_context (values at most 4096 bytes), is about 0.55 MB.
  maxRequestBytes: 1024 * 1024,
  async open({ config, logger, keyspace, metrics }) {
    const redis = new ReadinessFlag();
    const { store, client, close } = await openStore<SessionStore>({
      storageType: config.storageType,
      storageVariable: "SESSION_STORAGE_TYPE",
      environment: config.environment,
      redis: config.redis,
      connectionName: "session-svc",
      logger,
      setServing: (ready) => redis.set(ready),
      createRedisStore: (client, mode) => new RedisSessionStore(client, config.policy, mode, config.watch),
      createMemoryStore: () => new MemorySessionStore(config.policy, Date.now, config.watch),
      keyspace,
    });
    const audit = openAuditTrail({
      service: "session-svc",
      streamKey: sessionKeys.audit(),
      client,
      config: config.audit,
      logger,
      registry: metrics.registry,
    });
    // The queued audit records go out before the connection closes.
    return {
      stores: { store, audit },
      readiness: { redis },
      close: () => audit.close().finally(close),
      onPermissionDenied: audit.recordDenial,
    };
  },
  handlers: ({ store, audit }) => [bind(SessionService, sessionHandlers(store)), auditBinding(audit)],
});
