import { createServer, type Server } from "node:http";
import { UnavailableError } from "@faultmaven/errors";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { status } from "@grpc/grpc-js";
import { status as codes } from "@grpc/grpc-js";
import type { CallObserver } from "./observe-calls.js";
import type { StreamObserver } from "./open-streams.js";

/** One method's series: its handled counter per status code (indexed by code), its duration histogram. */
interface MethodSeries {
  readonly handled: { inc(): void }[];
  readonly seconds: { observe(value: number): void };
}

/**
 * A process's Prometheus metrics: the go-grpc-prometheus names callers know
 * (grpc_server_handled_total, grpc_server_handling_seconds), store outage
 * counters, Node's default process metrics, and whatever a service adds to
 * `registry` (the Redis keyspace gauges).
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly #handled: Counter<"grpc_service" | "grpc_method" | "grpc_code">;
  readonly #seconds: Histogram<"grpc_service" | "grpc_method">;
  readonly #storeErrors: Counter<"store">;
  readonly #limitHits: Counter<"limit">;
  readonly #streamsStarted: Counter<"grpc_service" | "grpc_method">;
  readonly #messagesSent: Counter<"grpc_service" | "grpc_method">;
  /** Label children per method (and code), made once: prom-client hashes a label object on every inc otherwise. */
  readonly #perMethod = new Map<string, Map<string, MethodSeries>>();

  constructor(serviceName: string) {
    this.registry.setDefaultLabels({ service: serviceName });
    collectDefaultMetrics({ register: this.registry });
    this.#handled = new Counter({
      name: "grpc_server_handled_total",
      help: "RPCs completed on the server, by status code.",
      labelNames: ["grpc_service", "grpc_method", "grpc_code"],
      registers: [this.registry],
    });
    this.#seconds = new Histogram({
      name: "grpc_server_handling_seconds",
      help: "Time to handle an RPC on the server.",
      labelNames: ["grpc_service", "grpc_method"],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.#storeErrors = new Counter({
      name: "store_unavailable_errors_total",
      help: "Calls answered UNAVAILABLE because a backing store (redis, chromadb, ...) could not be reached.",
      labelNames: ["store"],
      registers: [this.registry],
    });
    this.#limitHits = new Counter({
      name: "grpc_server_transport_limit_hits_total",
      help: "Calls and connections ended by a transport limit: in_flight_calls (refused or shed, RESOURCE_EXHAUSTED), server_streams (refused, RESOURCE_EXHAUSTED), request_receive_timeout (DEADLINE_EXCEEDED), connections (closed at the cap: the idlest or the new one), ping_strikes (connections closed for pinging too often).",
      labelNames: ["limit"],
      registers: [this.registry],
    });
    this.#streamsStarted = new Counter({
      name: "grpc_server_streams_started_total",
      help: "Server-streaming calls started (they end in grpc_server_handled_total, by code).",
      labelNames: ["grpc_service", "grpc_method"],
      registers: [this.registry],
    });
    this.#messagesSent = new Counter({
      name: "grpc_server_msg_sent_total",
      help: "Messages server-streaming calls handed to the transport.",
      labelNames: ["grpc_service", "grpc_method"],
      registers: [this.registry],
    });
  }

  /** Counts one call or connection a transport limit ended. */
  limitHit(limit: "in_flight_calls" | "server_streams" | "request_receive_timeout" | "connections" | "ping_strikes"): void {
    this.#limitHits.inc({ limit });
  }

  /** Exposes the open calls, server streams and connections as gauges, read at each scrape. */
  watchTransport(read: { calls: () => number; streams: () => number; connections: () => number }): void {
    new Gauge({
      name: "grpc_server_calls_in_flight",
      help: "Calls open in the process (against GRPC_MAX_IN_FLIGHT_CALLS; a server stream only until its request is in).",
      registers: [this.registry],
      collect() {
        this.set(read.calls());
      },
    });
    new Gauge({
      name: "grpc_server_streams_open",
      help: "Server-streaming calls open in the process (against GRPC_MAX_SERVER_STREAMS).",
      registers: [this.registry],
      collect() {
        this.set(read.streams());
      },
    });
    new Gauge({
      name: "grpc_server_connections",
      help: "Open gRPC (TCP) connections (against GRPC_MAX_CONNECTIONS).",
      registers: [this.registry],
      collect() {
        this.set(read.connections());
      },
    });
  }

  /** Feeds the counters from every finished call (pass to `implement`). */
  readonly observer: CallObserver = ({ service, method, code, seconds, error }) => {
    const series = this.#seriesOf(service, method);
    let handled = series.handled[code];
    if (handled === undefined) {
      handled = this.#handled.labels({ grpc_service: service, grpc_method: method, grpc_code: codeName(code) });
      series.handled[code] = handled;
    }
    handled.inc();
    series.seconds.observe(seconds);
    if (error instanceof UnavailableError) this.#storeErrors.inc({ store: error.store });
  };

  /** By service, then method: the names are the same strings on every call, so no key string is built per call. */
  #seriesOf(service: string, method: string): MethodSeries {
    let methods = this.#perMethod.get(service);
    if (methods === undefined) {
      methods = new Map();
      this.#perMethod.set(service, methods);
    }
    let series = methods.get(method);
    if (series === undefined) {
      series = { handled: [], seconds: this.#seconds.labels({ grpc_service: service, grpc_method: method }) };
      methods.set(method, series);
    }
    return series;
  }

  /** Feeds the stream counters (pass to `OpenStreams`). */
  readonly streamObserver: StreamObserver = {
    started: (service, method) => this.#streamsStarted.inc({ grpc_service: service, grpc_method: method }),
    sent: (service, method) => this.#messagesSent.inc({ grpc_service: service, grpc_method: method }),
    refused: () => this.limitHit("server_streams"),
  };

  /** Serves GET /metrics on `port` (0 picks one); resolves with the bound port. */
  async serve(host: string, port: number): Promise<{ port: number; close: () => Promise<void> }> {
    const server: Server = createServer((request, response) => {
      if (request.url !== "/metrics") return void response.writeHead(404).end();
      this.registry.metrics().then(
        (body) => response.writeHead(200, { "content-type": this.registry.contentType }).end(body),
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(port, host, resolve));
    const address = server.address();
    return {
      port: typeof address === "object" && address ? address.port : port,
      close: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
}

function codeName(code: status): string {
  return codes[code] ?? String(code);
}
