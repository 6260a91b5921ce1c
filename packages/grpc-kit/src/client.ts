import { create, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import {
  credentials as grpcCredentials,
  makeGenericClientConstructor,
  Metadata,
  type CallOptions,
  type ChannelOptions,
  type ChannelCredentials,
  type Client,
  type ClientReadableStream,
  type ServiceError as GrpcServiceError,
} from "@grpc/grpc-js";
import { clientTarget } from "./client-target.js";
import { fillIdempotencyKey } from "./fill-idempotency-key.js";
import { toServiceDefinition } from "./service-definition.js";

/** Per-call options: a timeout (ms) becomes the call's deadline. */
export interface ClientCallOptions {
  readonly timeoutMs?: number;
  readonly metadata?: Record<string, string>;
  /** Cancels the call when aborted (a stream's reader stops waiting: CANCELLED). */
  readonly signal?: AbortSignal;
}

/**
 * One method of a PromiseClient: a unary RPC resolves with its response, a
 * server-streaming one is read with `for await` (leaving the loop cancels
 * the call; an error status is thrown from the loop).
 */
export type ClientMethod<M extends GenServiceMethods[string]> = M["methodKind"] extends "server_streaming"
  ? (request: MessageInitShape<M["input"]>, options?: ClientCallOptions) => AsyncIterable<MessageShape<M["output"]>>
  : (request: MessageInitShape<M["input"]>, options?: ClientCallOptions) => Promise<MessageShape<M["output"]>>;

/** A promise client: one async method per unary RPC, one async iterable per server-streaming RPC. */
export type PromiseClient<T extends GenServiceMethods> = {
  [K in keyof T]: ClientMethod<T[K]>;
} & { close(): void };

/** How createClient connects; every field is optional. */
export interface ClientOptions {
  readonly credentials?: ChannelCredentials;
  /** Deadline of a call that sets no timeoutMs (default 5000). */
  readonly defaultTimeoutMs?: number;
  /**
   * A gRPC service config (the parsed JSON, e.g.
   * config/grpc-service-config.json): load balancing across the target's
   * addresses and retry policies. Without one, grpc-js picks the first
   * address that connects and retries nothing but streams a server refused
   * unprocessed.
   */
  readonly serviceConfig?: object;
  /**
   * Fill a random idempotency_key on requests that have the field and leave
   * it empty, so a retried write is applied once. Default: on when
   * `serviceConfig` is given (it may retry writes), off otherwise.
   */
  readonly autoIdempotencyKeys?: boolean;
  /** More grpc-js channel options (e.g. "grpc.max_reconnect_backoff_ms"). */
  readonly channelOptions?: ChannelOptions;
}

/**
 * A typed grpc-js client for one of our services, built from the same
 * descriptors the server uses. `address` is one address or target URI, or a
 * static list of replicas (IP literals, see clientTarget); give a list or a
 * `dns:` target a `serviceConfig` with round_robin to spread calls over every
 * replica. Errors are grpc-js ServiceErrors (`code`, `details`, `metadata`).
 * Default deadline: 5 s per unary call; a stream has none unless its
 * `timeoutMs` sets one (it lives until the server ends it or it is cancelled).
 */
export function createClient<T extends GenServiceMethods>(
  service: GenService<T>,
  address: string | readonly string[],
  options: ClientOptions = {},
): PromiseClient<T> {
  const Constructor = makeGenericClientConstructor(toServiceDefinition(service), service.name);
  const channelOptions: ChannelOptions = { ...options.channelOptions };
  if (options.serviceConfig !== undefined) {
    channelOptions["grpc.service_config"] = JSON.stringify(options.serviceConfig);
    // The config given here wins over one published in DNS TXT records.
    channelOptions["grpc.service_config_disable_resolution"] = 1;
  }
  const autoKeys = options.autoIdempotencyKeys ?? options.serviceConfig !== undefined;
  const client = new Constructor(clientTarget(address), options.credentials ?? grpcCredentials.createInsecure(), channelOptions) as Client &
    Record<string, (...args: unknown[]) => unknown>;
  const promiseClient: Record<string, unknown> = { close: () => client.close() };
  for (const method of service.methods) {
    if (method.methodKind === "server_streaming") {
      promiseClient[method.localName] = (request: MessageInitShape<typeof method.input>, call: ClientCallOptions = {}) => {
        const callOptions: CallOptions = call.timeoutMs === undefined ? {} : { deadline: Date.now() + call.timeoutMs };
        const start = () =>
          client[method.localName]!(create(method.input, request), metadataOf(call), callOptions) as ClientReadableStream<unknown>;
        return readStream(start, call.signal);
      };
      continue;
    }
    promiseClient[method.localName] = (request: MessageInitShape<typeof method.input>, call: ClientCallOptions = {}) => {
      const metadata = metadataOf(call);
      const callOptions: CallOptions = {
        deadline: Date.now() + (call.timeoutMs ?? options.defaultTimeoutMs ?? 5000),
      };
      return new Promise((resolve, reject) => {
        client[method.localName]!(
          create(method.input, autoKeys ? fillIdempotencyKey(method.input, request) : request),
          metadata,
          callOptions,
          (error: GrpcServiceError | null, response: unknown) => (error ? reject(error) : resolve(response)),
        );
      });
    };
  }
  return promiseClient as PromiseClient<T>;
}

function metadataOf(call: ClientCallOptions): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(call.metadata ?? {})) metadata.set(key, value);
  return metadata;
}

/**
 * Starts the call when the loop first asks for a message and yields what
 * arrives; grpc-js reads from the network only as the loop asks, so a slow
 * loop slows the server down (HTTP/2 flow control). Leaving the loop, or
 * `signal` aborting, cancels the call.
 */
async function* readStream(start: () => ClientReadableStream<unknown>, signal: AbortSignal | undefined): AsyncGenerator<unknown> {
  signal?.throwIfAborted();
  const stream = start();
  const cancel = () => stream.cancel();
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    for await (const message of stream) yield message;
  } finally {
    signal?.removeEventListener("abort", cancel);
    stream.cancel();
  }
}
