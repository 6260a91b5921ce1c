import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { ServiceError } from "@grpc/grpc-js";
import { Health, HealthCheckResponse_ServingStatus } from "@faultmaven/contract/rpc";
import { createClient, decodeStatusDetails, type PromiseClient } from "@faultmaven/grpc-kit";
import { ServiceProcess } from "./service-process.js";

/** A started service process with a typed client and a health probe. */
export interface RunningService<T extends GenServiceMethods> {
  readonly service: ServiceProcess;
  readonly client: PromiseClient<T>;
  /** True while grpc.health.v1 answers SERVING for the service. */
  serving(): Promise<boolean>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `entry` (a service's main.ts) with `env` and connects a client for `service`. */
export async function startGrpcService<T extends GenServiceMethods>(
  entry: string,
  service: GenService<T>,
  env: Record<string, string>,
): Promise<RunningService<T>> {
  const process = await ServiceProcess.start(entry, env);
  const client = createClient(service, process.address, { defaultTimeoutMs: 5000 });
  const health = createClient(Health, process.address, { defaultTimeoutMs: 1000 });
  return {
    service: process,
    client,
    async serving() {
      const reply = await health.check({ service: service.typeName });
      return reply.status === HealthCheckResponse_ServingStatus.SERVING;
    },
    async stop() {
      client.close();
      health.close();
      return process.stop();
    },
  };
}

/** Runs a call expected to fail; returns its gRPC code, message, ErrorInfo reason and BadRequest fields. */
export async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    const grpcError = error as ServiceError;
    return { code: grpcError.code, message: grpcError.details, ...decodeStatusDetails(grpcError.metadata) };
  }
  throw new Error("expected the call to fail");
}
