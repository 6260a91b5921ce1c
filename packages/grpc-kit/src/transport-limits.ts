import type { ChannelOptions } from "@grpc/grpc-js";
import type { EnvReader } from "@faultmaven/config";

/**
 * What one client may hold of a server process, so that no sequence of
 * frames pins its memory: open streams and calls are capped, a request
 * must arrive whole in bounded time, connections end when idle or old, and
 * every message is size-capped. See docs/operations.md, "Transport limits",
 * for the memory bound these give.
 */
export interface TransportLimits {
  /** Open TCP connections; one beyond them is closed as soon as it is accepted. */
  readonly maxConnections: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: open calls per connection. */
  readonly maxConcurrentStreams: number;
  /** Open calls in the whole process; a call beyond them is answered RESOURCE_EXHAUSTED at once. */
  readonly maxInFlightCalls: number;
  /**
   * Open server-streaming calls (watches) in the whole process, counted
   * apart from maxInFlightCalls; one beyond them is answered
   * RESOURCE_EXHAUSTED once its request is in.
   */
  readonly maxServerStreams: number;
  /**
   * Request bytes that calls whose request has not arrived whole may hold in
   * all; past it the call holding the most is ended RESOURCE_EXHAUSTED. At
   * least the receive limit, so that one request of the largest size fits.
   */
  readonly maxReceivingBytes: number;
  /** Time from a call's start until its request has arrived whole (half-close); past it, DEADLINE_EXCEEDED. */
  readonly requestReceiveTimeoutMs: number;
  /** A connection with no open call for this long is closed (GOAWAY). */
  readonly maxConnectionIdleMs: number;
  /** A connection is asked to go away (GOAWAY) at this age ... */
  readonly maxConnectionAgeMs: number;
  /** ... and closed this much later, cutting the calls still open on it. */
  readonly maxConnectionAgeGraceMs: number;
  /** The server pings a connection after this long without activity ... */
  readonly keepaliveTimeMs: number;
  /** ... and closes it when the ping is not answered within this. */
  readonly keepaliveTimeoutMs: number;
  /** A client PING sooner than this after its previous one is a strike ... */
  readonly keepaliveMinPingIntervalMs: number;
  /** ... and past this many strikes the connection is closed (GOAWAY ENHANCE_YOUR_CALM, "too_many_pings"). */
  readonly keepaliveMaxPingStrikes: number;
  /** Largest request message; undefined: the service's own default (its largest valid request). */
  readonly maxReceiveBytes: number | undefined;
  /** Largest response message (what a default gRPC client accepts: 4 MiB). */
  readonly maxSendBytes: number;
}

const MIB = 1024 * 1024;
const DAY_MS = 86_400_000;

/**
 * GRPC_MAX_CONNECTIONS (1000), GRPC_MAX_CONCURRENT_STREAMS (500),
 * GRPC_MAX_IN_FLIGHT_CALLS (2000), GRPC_MAX_SERVER_STREAMS (1000), GRPC_MAX_RECEIVING_BYTES (64 MiB),
 * GRPC_REQUEST_RECEIVE_TIMEOUT_MS (10000), GRPC_MAX_CONNECTION_IDLE_MS
 * (300000), GRPC_MAX_CONNECTION_AGE_MS (1800000),
 * GRPC_MAX_CONNECTION_AGE_GRACE_MS (30000), GRPC_KEEPALIVE_TIME_MS
 * (120000), GRPC_KEEPALIVE_TIMEOUT_MS (20000),
 * GRPC_KEEPALIVE_MIN_PING_INTERVAL_MS (10000), GRPC_KEEPALIVE_MAX_PING_STRIKES
 * (2), GRPC_MAX_RECEIVE_BYTES
 * (per service), GRPC_MAX_SEND_BYTES (4 MiB).
 */
export function readTransportLimits(env: EnvReader): TransportLimits {
  const receive = env.string("GRPC_MAX_RECEIVE_BYTES");
  return {
    maxConnections: env.integer("GRPC_MAX_CONNECTIONS", 1000, 1, 1_000_000),
    maxConcurrentStreams: env.integer("GRPC_MAX_CONCURRENT_STREAMS", 500, 1, 100_000),
    maxInFlightCalls: env.integer("GRPC_MAX_IN_FLIGHT_CALLS", 2000, 1, 1_000_000),
    maxServerStreams: env.integer("GRPC_MAX_SERVER_STREAMS", 1000, 1, 1_000_000),
    maxReceivingBytes: env.integer("GRPC_MAX_RECEIVING_BYTES", 64 * MIB, 1024, 16 * 1024 * MIB),
    requestReceiveTimeoutMs: env.integer("GRPC_REQUEST_RECEIVE_TIMEOUT_MS", 10_000, 1, 600_000),
    maxConnectionIdleMs: env.integer("GRPC_MAX_CONNECTION_IDLE_MS", 300_000, 1, 30 * DAY_MS),
    maxConnectionAgeMs: env.integer("GRPC_MAX_CONNECTION_AGE_MS", 1_800_000, 1, 30 * DAY_MS),
    maxConnectionAgeGraceMs: env.integer("GRPC_MAX_CONNECTION_AGE_GRACE_MS", 30_000, 1, DAY_MS),
    keepaliveTimeMs: env.integer("GRPC_KEEPALIVE_TIME_MS", 120_000, 1000, DAY_MS),
    keepaliveTimeoutMs: env.integer("GRPC_KEEPALIVE_TIMEOUT_MS", 20_000, 1, DAY_MS),
    keepaliveMinPingIntervalMs: env.integer("GRPC_KEEPALIVE_MIN_PING_INTERVAL_MS", 10_000, 0, DAY_MS),
    keepaliveMaxPingStrikes: env.integer("GRPC_KEEPALIVE_MAX_PING_STRIKES", 2, 0, 1000),
    maxReceiveBytes: receive === undefined ? undefined : env.integer("GRPC_MAX_RECEIVE_BYTES", 0, 1024, 64 * MIB),
    maxSendBytes: env.integer("GRPC_MAX_SEND_BYTES", 4 * MIB, 1024, 64 * MIB),
  };
}

/** The grpc-js server options that enforce the limits grpc-js has options for. */
export function grpcServerOptions(limits: TransportLimits, maxReceiveBytes: number): ChannelOptions {
  return {
    "grpc.max_concurrent_streams": limits.maxConcurrentStreams,
    "grpc.max_connection_idle_ms": limits.maxConnectionIdleMs,
    "grpc.max_connection_age_ms": limits.maxConnectionAgeMs,
    "grpc.max_connection_age_grace_ms": limits.maxConnectionAgeGraceMs,
    "grpc.keepalive_time_ms": limits.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": limits.keepaliveTimeoutMs,
    "grpc.max_receive_message_length": maxReceiveBytes,
    "grpc.max_send_message_length": limits.maxSendBytes,
  };
}
