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
  type ServiceError as GrpcServiceError,
} from "@grpc/grpc-js";
import { clientTarget } from "./client-target.js";
import { fillIdempotencyKey } from "./fill-idempotency-key.js";
import { toServiceDefinition } from "./service-definition.js";

/** Per-call options: a timeout (ms) becomes the call's deadline. */
export interface ClientCallOptions {
  readonly timeoutMs?: number;
  readonly metadata?: Record<string, string>;
}

/** A promise client: one async method per unary RPC. */
export type PromiseClient<T extends GenServiceMethods> = {
  [K in keyof T]: (request: MessageInitShape<T[K]["input"]>, options?: ClientCallOptions) => Promise<MessageShape<T[K]["output"]>>;
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
 * Default deadline: 5 s per call.
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
    promiseClient[method.localName] = (request: MessageInitShape<typeof method.input>, call: ClientCallOptions = {}) => {
      const metadata = new Metadata();
      for (const [key, value] of Object.entries(call.metadata ?? {})) metadata.set(key, value);
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
