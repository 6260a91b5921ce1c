import { ConfigError, EnvReader } from "@faultmaven/config";
import { type AuthzConfig, readAuthzConfig } from "./authorization.js";
import { readTransportLimits, type TransportLimits } from "./transport-limits.js";

/** Where and how the gRPC server listens, read once at start. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** PEM material when TLS is on; undefined means plaintext. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer; readonly clientCa: Buffer | undefined } | undefined;
  /** How long SIGTERM waits for in-flight calls before cutting them. */
  readonly shutdownGraceMs: number;
  /** Port of the Prometheus /metrics endpoint (0 picks a free one). */
  readonly metricsPort: number;
  /** How often the Redis keyspace is sampled for the namespace gauges. */
  readonly keyspaceSampleIntervalMs: number;
  /** How long a mutating call's reply is kept for retries with the same idempotency key. */
  readonly idempotencyWindowMs: number;
  /** Streams, calls, receive time, connection lifetime and message sizes (the GRPC_MAX_* variables). */
  readonly limits: TransportLimits;
  /** The authorization policy (AUTHZ_POLICY_FILE) or the switch that does without one (AUTHZ_ALLOW_ALL_CALLERS). */
  readonly authz: AuthzConfig;
}

/**
 * GRPC_HOST (default 0.0.0.0), GRPC_PORT (the service's default),
 * GRPC_TLS_CERT_FILE + GRPC_TLS_KEY_FILE (TLS), GRPC_TLS_CLIENT_CA_FILE
 * (mutual TLS: clients must present a certificate signed by it),
 * GRPC_SHUTDOWN_GRACE_MS (default 10000), METRICS_PORT (the service's
 * default), METRICS_KEYSPACE_INTERVAL_SECONDS (default 60),
 * IDEMPOTENCY_WINDOW_SECONDS (default 900), and the transport limits
 * (see readTransportLimits), AUTHZ_POLICY_FILE and AUTHZ_ALLOW_ALL_CALLERS
 * (see resolveAuthorization).
 */
export function readServerConfig(defaultPort: number, defaultMetricsPort: number, env = new EnvReader()): ServerConfig {
  const cert = env.file("GRPC_TLS_CERT_FILE");
  const key = env.file("GRPC_TLS_KEY_FILE");
  const clientCa = env.file("GRPC_TLS_CLIENT_CA_FILE");
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError("GRPC_TLS_KEY_FILE", "GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE go together");
  }
  if (clientCa && !cert) {
    throw new ConfigError("GRPC_TLS_CLIENT_CA_FILE", "mutual TLS needs GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE");
  }
  return {
    host: env.string("GRPC_HOST") ?? "0.0.0.0",
    port: env.integer("GRPC_PORT", defaultPort, 0, 65535),
    tls: cert && key ? { cert, key, clientCa } : undefined,
    shutdownGraceMs: env.integer("GRPC_SHUTDOWN_GRACE_MS", 10_000, 0, 600_000),
    metricsPort: env.integer("METRICS_PORT", defaultMetricsPort, 0, 65535),
    keyspaceSampleIntervalMs: env.integer("METRICS_KEYSPACE_INTERVAL_SECONDS", 60, 1, 86_400) * 1000,
    idempotencyWindowMs: env.integer("IDEMPOTENCY_WINDOW_SECONDS", 900, 1, 86_400) * 1000,
    limits: readTransportLimits(env),
    authz: readAuthzConfig(env),
  };
}
