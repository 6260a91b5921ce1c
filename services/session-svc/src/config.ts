import { type AuditConfig, readAuditConfig } from "@faultmaven/audit";
import { EnvReader } from "@faultmaven/config";
import { readServerConfig, type ServerConfig } from "@faultmaven/grpc-kit";
import { readRedisConfig, readStorageChoice, type Environment, type RedisConfig, type StorageType } from "@faultmaven/redis";
import type { SessionPolicy } from "./domain/session.js";
import { SESSION_LIMITS } from "./domain/session-limits.js";
import { DEFAULT_WATCH_LIMITS, type WatchLimits } from "./watch/watch-limits.js";

/** Everything session-svc reads from the environment, validated at start. */
export interface SessionServiceConfig {
  readonly environment: Environment;
  /** SESSION_STORAGE_TYPE: redis (default) or inmemory (development only). */
  readonly storageType: StorageType;
  readonly policy: SessionPolicy;
  readonly watch: WatchLimits;
  readonly redis: RedisConfig;
  readonly server: ServerConfig;
  /** AUDIT_STREAM_MAX_LEN, AUDIT_QUEUE_MAX. */
  readonly audit: AuditConfig;
}

/** Prometheus /metrics port when METRICS_PORT is unset. */
export const DEFAULT_METRICS_PORT = 9451;

/** gRPC port when GRPC_PORT is unset (DESIGN.md §4). */
export const DEFAULT_PORT = 50051;

/**
 * ENVIRONMENT, SESSION_STORAGE_TYPE, SESSION_IDLE_TTL_SECONDS (default 1800),
 * SESSION_MAX_LIFETIME_SECONDS (absolute cap, default 0 = none),
 * SESSION_MAX_MESSAGES (default 50), WATCH_MAX_WATCHERS (default 1000),
 * WATCH_BUFFER_EVENTS (default 256), WATCH_BUFFER_BYTES (default 1 MiB),
 * plus the REDIS_*, GRPC_* and AUDIT_* variables.
 * The size limits of a session are constants (SESSION_LIMITS).
 */
export function readSessionConfig(env = new EnvReader()): SessionServiceConfig {
  const storage = readStorageChoice("SESSION_STORAGE_TYPE", env);
  const idleSeconds = env.integer("SESSION_IDLE_TTL_SECONDS", 1800, 1, 7 * 24 * 3600);
  const maxLifetimeSeconds = env.integer("SESSION_MAX_LIFETIME_SECONDS", 0, 0, 365 * 24 * 3600);
  return {
    environment: storage.environment,
    storageType: storage.storageType,
    policy: {
      idleTtlMs: idleSeconds * 1000,
      maxLifetimeMs: maxLifetimeSeconds * 1000,
      maxMessages: env.integer("SESSION_MAX_MESSAGES", 50, 1, 1000),
      limits: SESSION_LIMITS,
    },
    watch: {
      maxWatchers: env.integer("WATCH_MAX_WATCHERS", DEFAULT_WATCH_LIMITS.maxWatchers, 1, 1_000_000),
      bufferEvents: env.integer("WATCH_BUFFER_EVENTS", DEFAULT_WATCH_LIMITS.bufferEvents, 1, 100_000),
      maxWatchersPerCaller: env.integer("WATCH_MAX_WATCHERS_PER_CALLER", DEFAULT_WATCH_LIMITS.maxWatchersPerCaller, 1, 1_000_000),
      bufferBytes: env.integer("WATCH_BUFFER_BYTES", DEFAULT_WATCH_LIMITS.bufferBytes, 1024, 1024 * 1024 * 1024),
      bufferBudgetBytes: env.integer("WATCH_BUFFER_BUDGET_BYTES", DEFAULT_WATCH_LIMITS.bufferBudgetBytes, 1024, 16 * 1024 * 1024 * 1024),
    },
    redis: readRedisConfig(env),
    server: readServerConfig(DEFAULT_PORT, DEFAULT_METRICS_PORT, env),
    audit: readAuditConfig(env),
  };
}
