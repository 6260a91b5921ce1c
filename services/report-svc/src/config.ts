import { type AuditConfig, readAuditConfig } from "@faultmaven/audit";
import { ConfigError, EnvReader } from "@faultmaven/config";
import { readServerConfig, type ServerConfig } from "@faultmaven/grpc-kit";
import { readEnvironment, readRedisConfig, type Environment, type RedisConfig } from "@faultmaven/redis";
import type { ReportsPolicy } from "./domain/reports.js";

/** Everything report-svc reads from the environment, validated at start. */
export interface ReportServiceConfig {
  readonly environment: Environment;
  readonly closedCaseTtlMs: number;
  readonly chroma: { readonly url: string; readonly timeoutMs: number };
  readonly embedding:
    | { readonly provider: "hashing" }
    | { readonly provider: "openai"; readonly url: string; readonly model: string; readonly apiKey: string | undefined };
  readonly reconcileIntervalMs: number;
  readonly reports: ReportsPolicy;
  readonly redis: RedisConfig;
  readonly server: ServerConfig;
  /** AUDIT_STREAM_MAX_LEN, AUDIT_QUEUE_MAX. */
  readonly audit: AuditConfig;
}

/** Prometheus /metrics port when METRICS_PORT is unset. */
export const DEFAULT_METRICS_PORT = 9453;

/** gRPC port when GRPC_PORT is unset (DESIGN.md §4). */
export const DEFAULT_PORT = 50053;

/**
 * ENVIRONMENT, CHROMA_URL (default http://localhost:8000), CHROMA_TIMEOUT_MS
 * (2000), REPORT_CLOSED_CASE_TTL_DAYS (90), REPORT_RECONCILE_INTERVAL_SECONDS
 * (600), REPORT_RECONCILE_MAX_DELETES (10) and REPORT_RECONCILE_MAX_DELETE_PERCENT
 * (5): a pass deletes at most the larger of the two, REPORT_SAVE_WINDOW_MS
 * (10000): how long a save may take from its intent to its metadata commit,
 * EMBEDDING_PROVIDER (hashing | openai) with EMBEDDING_URL,
 * EMBEDDING_MODEL and EMBEDDING_API_KEY for openai, plus REDIS_*, GRPC_* and AUDIT_*.
 */
export function readReportConfig(env = new EnvReader()): ReportServiceConfig {
  const redis = readRedisConfig(env);
  const chromaUrl = env.string("CHROMA_URL") ?? "http://localhost:8000";
  if (!/^https?:\/\/[^/]+/.test(chromaUrl)) throw new ConfigError("CHROMA_URL", `expected http(s)://host:port, got "${chromaUrl}"`);
  const provider = env.oneOf("EMBEDDING_PROVIDER", ["hashing", "openai"], "hashing");
  let embedding: ReportServiceConfig["embedding"] = { provider: "hashing" };
  if (provider === "openai") {
    const url = env.string("EMBEDDING_URL");
    const model = env.string("EMBEDDING_MODEL");
    if (!url) throw new ConfigError("EMBEDDING_URL", "required when EMBEDDING_PROVIDER=openai (e.g. https://api.openai.com/v1)");
    if (!model) throw new ConfigError("EMBEDDING_MODEL", "required when EMBEDDING_PROVIDER=openai (e.g. text-embedding-3-small)");
    embedding = { provider, url, model, apiKey: env.string("EMBEDDING_API_KEY") };
  }
  return {
    environment: readEnvironment(env),
    closedCaseTtlMs: env.integer("REPORT_CLOSED_CASE_TTL_DAYS", 90, 1, 3650) * 86_400_000,
    chroma: { url: chromaUrl, timeoutMs: env.integer("CHROMA_TIMEOUT_MS", 2000, 50, 60_000) },
    embedding,
    reconcileIntervalMs: env.integer("REPORT_RECONCILE_INTERVAL_SECONDS", 600, 1, 86_400) * 1000,
    reports: {
      saveWindowMs: env.integer("REPORT_SAVE_WINDOW_MS", 10_000, 100, 600_000),
      reconcileMaxDeletes: env.integer("REPORT_RECONCILE_MAX_DELETES", 10, 0, 1_000_000),
      reconcileMaxDeletePercent: env.integer("REPORT_RECONCILE_MAX_DELETE_PERCENT", 5, 0, 100),
    },
    redis,
    server: readServerConfig(DEFAULT_PORT, DEFAULT_METRICS_PORT, env),
    audit: readAuditConfig(env),
  };
}
