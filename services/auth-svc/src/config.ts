import { type AuditConfig, readAuditConfig } from "@faultmaven/audit";
import { ConfigError, EnvReader } from "@faultmaven/config";
import { readServerConfig, type ServerConfig } from "@faultmaven/grpc-kit";
import {
  readRedisConfig,
  readReplicationWait,
  readStorageChoice,
  type Environment,
  type RedisConfig,
  type ReplicationWait,
  type StorageType,
} from "@faultmaven/redis";
import { availableParallelism } from "node:os";
import type { HashingLimits } from "./domain/hashing-slots.js";
import { DEFAULT_LOGIN_THROTTLE_POLICY as LOGIN, type LoginThrottlePolicy } from "./domain/login-throttle-policy.js";
import type { PasswordPolicy } from "./domain/passwords.js";

/** Everything auth-svc reads from the environment, validated at start. */
export interface AuthServiceConfig {
  readonly environment: Environment;
  /** AUTH_STORAGE_TYPE: redis (default) or inmemory (development only). */
  readonly storageType: StorageType;
  readonly tokenTtlMs: number;
  readonly passwordPolicy: PasswordPolicy;
  /** AUTH_PASSWORD_HASH_CONCURRENCY / AUTH_PASSWORD_HASH_QUEUE: argon2 runs at once, and waiting. */
  readonly hashing: HashingLimits;
  /** AUTH_LOGIN_*: failed-login throttling (docs/operations.md, login protection). */
  readonly loginThrottle: LoginThrottlePolicy;
  readonly redis: RedisConfig;
  /** REDIS_WAIT_REPLICAS / REDIS_WAIT_TIMEOUT_MS: replicas that must confirm a must-not-lose write (0: off). */
  readonly replicationWait: ReplicationWait;
  readonly server: ServerConfig;
  /** AUDIT_STREAM_MAX_LEN, AUDIT_QUEUE_MAX. */
  readonly audit: AuditConfig;
}

/** Prometheus /metrics port when METRICS_PORT is unset. */
export const DEFAULT_METRICS_PORT = 9452;

/** gRPC port when GRPC_PORT is unset (DESIGN.md §4). */
export const DEFAULT_PORT = 50052;

/**
 * ENVIRONMENT, AUTH_STORAGE_TYPE, AUTH_TOKEN_TTL_SECONDS (default 86400),
 * AUTH_PASSWORD_MIN_LENGTH (10), AUTH_PASSWORD_MAX_LENGTH (128; at most 1024,
 * the contract's `max_len`; both in characters, i.e. code points, as
 * protovalidate counts them and passwordLength does),
 * AUTH_ARGON2_MEMORY_KIB (19456, OWASP's floor), AUTH_ARGON2_ITERATIONS (2),
 * AUTH_PASSWORD_HASH_CONCURRENCY (see defaultHashConcurrency) and
 * AUTH_PASSWORD_HASH_QUEUE (128), the AUTH_LOGIN_*
 * throttling variables (see readLoginThrottle),
 * REDIS_WAIT_REPLICAS (0) and REDIS_WAIT_TIMEOUT_MS (500) for the writes
 * that must not be lost (see RedisAuthStore), plus the REDIS_* and GRPC_*
 * variables, and AUDIT_STREAM_MAX_LEN / AUDIT_QUEUE_MAX (the audit trail).
 */
export function readAuthConfig(env = new EnvReader()): AuthServiceConfig {
  const storage = readStorageChoice("AUTH_STORAGE_TYPE", env);
  const minLength = env.integer("AUTH_PASSWORD_MIN_LENGTH", 10, 8, 128);
  const maxLength = env.integer("AUTH_PASSWORD_MAX_LENGTH", 128, 8, 1024);
  if (maxLength < minLength) throw new ConfigError("AUTH_PASSWORD_MAX_LENGTH", "must not be below AUTH_PASSWORD_MIN_LENGTH");
  const redis = readRedisConfig(env);
  return {
    environment: storage.environment,
    storageType: storage.storageType,
    tokenTtlMs: env.integer("AUTH_TOKEN_TTL_SECONDS", 86_400, 60, 30 * 86_400) * 1000,
    passwordPolicy: {
      minLength,
      maxLength,
      memoryKiB: env.integer("AUTH_ARGON2_MEMORY_KIB", 19_456, 19_456, 4_194_304),
      iterations: env.integer("AUTH_ARGON2_ITERATIONS", 2, 2, 100),
    },
    hashing: {
      concurrency: env.integer("AUTH_PASSWORD_HASH_CONCURRENCY", defaultHashConcurrency(env), 1, 64),
      queue: env.integer("AUTH_PASSWORD_HASH_QUEUE", 128, 0, 10_000),
      accountQueue: env.integer("AUTH_PASSWORD_HASH_ACCOUNT_QUEUE", 128, 0, 10_000),
    },
    loginThrottle: readLoginThrottle(env),
    redis,
    replicationWait: readReplicationWait(env, redis),
    server: readServerConfig(DEFAULT_PORT, DEFAULT_METRICS_PORT, env),
    audit: readAuditConfig(env),
  };
}

/**
 * AUTH_LOGIN_ACCOUNT_THRESHOLD (10 failures per username or e-mail),
 * AUTH_LOGIN_SOURCE_THRESHOLD (100 per source address), then delays of
 * AUTH_LOGIN_BASE_DELAY_MS (1000) × AUTH_LOGIN_DELAY_GROWTH (2) per further
 * failure, at most AUTH_LOGIN_MAX_DELAY_MS (900000, 15 min); a counter is
 * forgotten AUTH_LOGIN_WINDOW_MS (900000) after its last failure.
 */
export function readLoginThrottle(env: EnvReader): LoginThrottlePolicy {
  const baseDelayMs = env.integer("AUTH_LOGIN_BASE_DELAY_MS", LOGIN.baseDelayMs, 1, 3_600_000);
  const maxDelayMs = env.integer("AUTH_LOGIN_MAX_DELAY_MS", LOGIN.maxDelayMs, 1, 86_400_000);
  if (maxDelayMs < baseDelayMs) throw new ConfigError("AUTH_LOGIN_MAX_DELAY_MS", "must not be below AUTH_LOGIN_BASE_DELAY_MS");
  return {
    accountThreshold: env.integer("AUTH_LOGIN_ACCOUNT_THRESHOLD", LOGIN.accountThreshold, 1, 1000),
    sourceThreshold: env.integer("AUTH_LOGIN_SOURCE_THRESHOLD", LOGIN.sourceThreshold, 1, 1_000_000),
    baseDelayMs,
    growth: env.integer("AUTH_LOGIN_DELAY_GROWTH", LOGIN.growth, 1, 10),
    maxDelayMs,
    windowMs: env.integer("AUTH_LOGIN_WINDOW_MS", LOGIN.windowMs, 1000, 86_400_000),
  };
}

/**
 * argon2 runs at once unless AUTH_PASSWORD_HASH_CONCURRENCY says: cores − 1
 * (at least 1), so that a core stays free for the event loop, which answers
 * every other call; at most libuv's thread pool (UV_THREADPOOL_SIZE, 4 by
 * default), where the runs take place. Node counts the host's cores, not a
 * container's CPU limit: set the variable to that limit − 1 in containers.
 */
function defaultHashConcurrency(env: EnvReader): number {
  const pool = env.integer("UV_THREADPOOL_SIZE", 4, 1, 1024);
  return Math.min(pool, Math.max(1, availableParallelism() - 1));
}
