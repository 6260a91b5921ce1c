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
import type { PasswordPolicy } from "./domain/passwords.js";

/** Everything auth-svc reads from the environment, validated at start. */
export interface AuthServiceConfig {
  readonly environment: Environment;
  /** AUTH_STORAGE_TYPE: redis (default) or inmemory (development only). */
  readonly storageType: StorageType;
  readonly tokenTtlMs: number;
  readonly passwordPolicy: PasswordPolicy;
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
    redis,
    replicationWait: readReplicationWait(env, redis),
    server: readServerConfig(DEFAULT_PORT, DEFAULT_METRICS_PORT, env),
    audit: readAuditConfig(env),
  };
}
