import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { resolveAuthorization } from "./authorization.js";
import type { PermissionDenial } from "./authorize-calls.js";
import type { Binding } from "./binding.js";
import { HealthStatus } from "./health.js";
import { OpenStreams } from "./open-streams.js";
import { createLogger } from "./logger.js";
import { ServiceMetrics } from "./metrics.js";
import type { ReadinessSource } from "./readiness.js";
import { runMain } from "./run-main.js";
import { serve, type RunningServer } from "./server.js";
import type { ServerConfig } from "./server-config.js";

/** What every service's configuration has: where to listen and which ENVIRONMENT it runs in. */
export interface BaseServiceConfig {
  readonly environment: string;
  readonly server: ServerConfig;
}

/** What the bootstrap hands to a service's `open` and `handlers`. */
export interface StartContext<C> {
  readonly config: C;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  /** The service's key namespaces, sampled into `registry` every `intervalMs` (pass to `openStore`). */
  readonly keyspace: { readonly namespaces: readonly string[]; readonly registry: Registry; readonly intervalMs: number };
}

/** A service's opened stores, the named readiness of each backend, and how to close them. */
export interface OpenedStores<S> {
  readonly stores: S;
  /** SERVING only while every one of these is ready; a log line names the ones that are down. */
  readonly readiness: Readonly<Record<string, ReadinessSource>>;
  close(): Promise<void>;
  /** Told of every call the authorization policy refuses (the audit trail, which lives with the stores); must not throw. */
  readonly onPermissionDenied?: (denial: PermissionDenial) => void;
}

/** One service process, described once; `runService` does the rest. */
export interface ServiceSpec<C extends BaseServiceConfig, S> {
  /** Process name: logger name and the `service` metrics label ("session-svc"). */
  readonly name: string;
  /** Reads and validates the configuration (a ConfigError stops the start naming the variable). */
  readonly config: () => C;
  /** Key namespaces the service owns (from the key schema), for the keyspace gauges. */
  readonly namespaces: readonly string[];
  /** Opens the stores (StartupError when production cannot have them). */
  readonly open: (context: StartContext<C>) => Promise<OpenedStores<S>>;
  /**
   * The largest request any of its methods accepts as valid, in bytes: the
   * default receive limit (GRPC_MAX_RECEIVE_BYTES overrides it).
   */
  readonly maxRequestBytes: number;
  /** The gRPC services and their handlers, built on the opened stores. */
  readonly handlers: (stores: S, context: StartContext<C>) => readonly Binding[];
}

/**
 * A service's whole start, in order: configuration, authorization (production
 * without a policy stops here), metrics, stores,
 * health aggregated over the stores' readiness, handlers through the call
 * pipeline, then `serve` (reflection, health, metrics endpoint, graceful
 * shutdown that closes the stores). Resolves once listening.
 */
export async function startService<C extends BaseServiceConfig, S>(spec: ServiceSpec<C, S>, logger: Logger): Promise<RunningServer> {
  const config = spec.config();
  const authorization = resolveAuthorization(config.server.authz, {
    environment: config.environment,
    mutualTls: config.server.tls?.clientCa !== undefined,
    logger,
  });
  const metrics = new ServiceMetrics(spec.name);
  const context: StartContext<C> = {
    config,
    logger,
    metrics,
    keyspace: { namespaces: spec.namespaces, registry: metrics.registry, intervalMs: config.server.keyspaceSampleIntervalMs },
  };
  const opened = await spec.open(context);
  try {
    const bindings = spec.handlers(opened.stores, context);
    const health = new HealthStatus(bindings.map((b) => b.service.typeName)).watch(opened.readiness, logger);
    const observers = [metrics.observer];
    const streams = new OpenStreams(config.server.limits.maxServerStreams, metrics.streamObserver);
    return await serve({
      services: bindings.map((b) => ({
        service: b.service,
        implementation: b.implement({
          logger,
          observers,
          streams,
          idempotencyWindowMs: config.server.idempotencyWindowMs,
          authorization,
          ...(opened.onPermissionDenied ? { onPermissionDenied: opened.onPermissionDenied } : {}),
        }),
      })),
      streams,
      config: config.server,
      maxRequestBytes: spec.maxRequestBytes,
      health,
      metrics,
      logger,
      environment: config.environment,
      onShutdown: () => opened.close(),
    });
  } catch (error) {
    // A start that fails after the stores opened (a busy port) closes them, so the process can exit.
    await opened.close().catch(() => undefined);
    throw error;
  }
}

/**
 * The entry point of a service's main.ts: starts it, and turns any start
 * failure (bad configuration, an unreachable store production requires, a
 * busy port) into one fatal log line, a plain stderr line and exit code 1.
 */
export function runService<C extends BaseServiceConfig, S>(spec: ServiceSpec<C, S>): void {
  const logger = createLogger(spec.name);
  runMain(logger, () => startService(spec, logger));
}
