import type { DescService } from "@bufbuild/protobuf";
import { ConfigError } from "@faultmaven/config";
import { Server, ServerCredentials, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { type CappedListener, listenCapped } from "./capped-listener.js";
import { ConnectionTable } from "./connection-table.js";
import type { Logger } from "pino";
import type { HealthStatus } from "./health.js";
import { CallingConnections } from "./calling-connections.js";
import { PingPolicy } from "./enforce-ping-policy.js";
import { guardTransport } from "./guard-transport.js";
import { InFlightCalls } from "./in-flight-calls.js";
import { ReceiveDeadlines } from "./receive-deadlines.js";
import type { ServiceMetrics } from "./metrics.js";
import { OpenStreams } from "./open-streams.js";
import { isAddressInUse, PortInUseError } from "./port-in-use-error.js";
import { addReflection } from "./reflection.js";
import type { ServerConfig } from "./server-config.js";
import { toServiceDefinition } from "./service-definition.js";
import { grpcServerOptions } from "./transport-limits.js";

/** One service to serve: its descriptor and its grpc-js implementation. */
export interface ServedService {
  readonly service: DescService;
  readonly implementation: UntypedServiceImplementation;
}

/** A listening server; `shutdown` drains it. */
export interface RunningServer {
  readonly port: number;
  shutdown(reason: string): Promise<void>;
}

/**
 * Binds the services plus reflection and health, serves Prometheus metrics,
 * logs one "ready" line with the bound addresses (GRPC_PORT=0 and
 * METRICS_PORT=0 pick free ports), and drains gracefully
 * on SIGTERM/SIGINT: health turns NOT_SERVING, new calls are refused,
 * every open server stream is ended UNAVAILABLE (SERVER_SHUTTING_DOWN) so
 * its caller re-opens it on another replica, in-flight unary calls get
 * `shutdownGraceMs` to finish, then `onShutdown` closes the stores and the
 * process exits 0. `streams` is the registry given to `implement`. The transport limits of
 * `config.limits` apply to every call; `maxRequestBytes` is the service's
 * largest valid request, the receive limit unless GRPC_MAX_RECEIVE_BYTES
 * says otherwise.
 */
export async function serve(options: {
  services: readonly ServedService[];
  config: ServerConfig;
  maxRequestBytes: number;
  health: HealthStatus;
  metrics: ServiceMetrics;
  logger: Logger;
  onShutdown: () => Promise<void>;
  environment: string;
  streams?: OpenStreams;
}): Promise<RunningServer> {
  const { config, health, logger, metrics } = options;
  const streams = options.streams ?? new OpenStreams(config.limits.maxServerStreams, metrics.streamObserver);
  const inputs = new Map(
    options.services.flatMap(({ service }) => service.methods.map((m) => [`/${service.typeName}/${m.name}`, m.input] as const)),
  );
  // The kit's server-streaming methods: capped by `streams` once their request is in, not by the in-flight calls.
  const serverStreams = new Set(
    options.services.flatMap(({ service }) =>
      service.methods.filter((m) => m.methodKind === "server_streaming").map((m) => `/${service.typeName}/${m.name}`),
    ),
  );
  const { limits } = config;
  const maxReceiveBytes = limits.maxReceiveBytes ?? options.maxRequestBytes;
  if (limits.maxReceivingBytes < maxReceiveBytes) {
    throw new ConfigError("GRPC_MAX_RECEIVING_BYTES", `must be at least the receive limit, ${maxReceiveBytes} bytes`);
  }
  const inFlight = new InFlightCalls(limits.maxInFlightCalls, limits.maxReceivingBytes);
  const connections = new ConnectionTable(limits.maxConnections);
  const server = new Server({
    ...grpcServerOptions(limits, maxReceiveBytes),
    interceptors: [
      guardTransport({
        connections: new CallingConnections(
          connections,
          new PingPolicy(limits.keepaliveMinPingIntervalMs, limits.keepaliveMaxPingStrikes, () => metrics.limitHit("ping_strikes")),
        ),
        calls: inFlight,
        onCallLimit: () => metrics.limitHit("in_flight_calls"),
        deadlines: new ReceiveDeadlines(limits.requestReceiveTimeoutMs, () => metrics.limitHit("request_receive_timeout")),
        serverStreams,
        inputs,
      }),
    ],
  });
  for (const { service, implementation } of options.services) {
    server.addService(toServiceDefinition(service), implementation);
  }
  addReflection(
    server,
    options.services.map((s) => s.service),
  );
  health.addToServer(server);

  const listener = await listenCapped({
    server,
    credentials: credentials(config),
    host: config.host,
    port: config.port,
    connections,
    onClosedAtCap: () => metrics.limitHit("connections"),
  }).catch((error: unknown) => {
    throw isAddressInUse(error) ? new PortInUseError(`gRPC port ${config.host}:${config.port}`, "GRPC_PORT", { cause: error }) : error;
  });
  const { port } = listener;
  metrics.watchTransport({ calls: () => inFlight.open, streams: () => streams.size, connections: () => connections.size });
  const metricsServer = await metrics.serve(config.host, config.metricsPort).catch((error: unknown) => {
    listener.close();
    server.forceShutdown();
    connections.destroyAll();
    throw isAddressInUse(error)
      ? new PortInUseError(`metrics port ${config.host}:${config.metricsPort}`, "METRICS_PORT", { cause: error })
      : error;
  });
  if (!config.tls) {
    const log = options.environment === "production" ? logger.warn.bind(logger) : logger.info.bind(logger);
    log("gRPC is PLAINTEXT: set GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE to enable TLS");
  }

  let stopping: Promise<void> | undefined;
  const shutdown = (reason: string) =>
    (stopping ??= (async () => {
      logger.info({ reason, grace_ms: config.shutdownGraceMs }, "shutting down");
      health.shutDown();
      const ended = streams.endAll();
      if (ended > 0) logger.info({ streams: ended }, "ended the open streams UNAVAILABLE");
      await drain(server, listener, connections, config.shutdownGraceMs, logger);
      await metricsServer.close();
      await options.onShutdown();
      logger.info("stopped");
    })());
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      void shutdown(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, "shutdown failed");
          process.exit(1);
        },
      );
    });
  }
  // The ready line is printed whatever LOG_LEVEL says: tools wait for it.
  logger.child({}, { level: "info" }).info(
    {
      address: `${config.host}:${port}`,
      port,
      metrics_port: metricsServer.port,
      services: options.services.map((s) => s.service.typeName),
      tls: config.tls ? (config.tls.clientCa ? "mutual" : "server") : "off",
      limits: { ...limits, maxReceiveBytes },
    },
    "ready",
  );
  return { port, shutdown };
}

function credentials(config: ServerConfig): ServerCredentials {
  if (!config.tls) return ServerCredentials.createInsecure();
  const { cert, key, clientCa } = config.tls;
  return ServerCredentials.createSsl(clientCa ?? null, [{ cert_chain: cert, private_key: key }], clientCa !== undefined);
}

/**
 * The listener stops accepting at once (a client's reconnect is refused);
 * tryShutdown closes every HTTP/2 session, and Node's Http2Session.close()
 * sends GOAWAY (NO_ERROR, last accepted stream) at once, so clients move new
 * calls to another replica and a call sent meanwhile is refused unprocessed
 * (REFUSED_STREAM, retried transparently by gRPC clients), while the calls
 * already accepted run on. forceShutdown cuts those after the grace period,
 * and connections that never became HTTP/2 sessions (a TLS handshake never
 * finished) are closed with them. docs/operations.md, "Rolling restarts".
 */
function drain(server: Server, listener: CappedListener, connections: ConnectionTable, graceMs: number, logger: Logger): Promise<void> {
  listener.close();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      logger.warn("grace period over: cancelling in-flight calls");
      server.forceShutdown();
      connections.destroyAll();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      connections.destroyAll();
      resolve();
    });
  });
}
