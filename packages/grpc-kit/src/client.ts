import { create, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import {
  credentials as grpcCredentials,
  makeGenericClientConstructor,
  Metadata,
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ServiceError as GrpcServiceError,
} from "@grpc/grpc-js";
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

/**
 * A typed grpc-js client for one of our services, built from the same
 * descriptors the server uses. Errors are grpc-js ServiceErrors (`code`,
 * `details`, `metadata`). Default deadline: 5 s per call.
 */
export function createClient<T extends GenServiceMethods>(
  service: GenService<T>,
  address: string,
  options: { credentials?: ChannelCredentials; defaultTimeoutMs?: number } = {},
): PromiseClient<T> {
  const Constructor = makeGenericClientConstructor(toServiceDefinition(service), service.name);
  const client = new Constructor(address, options.credentials ?? grpcCredentials.createInsecure()) as Client &
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
          create(method.input, request),
          metadata,
          callOptions,
          (error: GrpcServiceError | null, response: unknown) => (error ? reject(error) : resolve(response)),
        );
      });
    };
  }
  return promiseClient as PromiseClient<T>;
}
