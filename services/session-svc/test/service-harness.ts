import { fileURLToPath } from "node:url";
import type { ServiceError } from "@grpc/grpc-js";
import { HealthCheckResponse_ServingStatus, Health } from "@faultmaven/contract/rpc";
import { SessionService } from "@faultmaven/contract/session";
import { createClient, decodeStatusDetails } from "@faultmaven/grpc-kit";
import { ServiceProcess } from "@faultmaven/test-kit";

/** The service's entry point, started as production starts it. */
export const ENTRY = fileURLToPath(new URL("../src/main.ts", import.meta.url));

export type SessionClient = ReturnType<typeof sessionClient>;

export function sessionClient(address: string) {
  return createClient(SessionService, address, { defaultTimeoutMs: 3000 });
}

/** Starts session-svc with `env`, and a client for it. */
export async function startSessionService(env: Record<string, string>) {
  const service = await ServiceProcess.start(ENTRY, env);
  const client = sessionClient(service.address);
  const health = createClient(Health, service.address, { defaultTimeoutMs: 1000 });
  const serving = async () => {
    const reply = await health.check({ service: SessionService.typeName });
    return reply.status === HealthCheckResponse_ServingStatus.SERVING;
  };
  return {
    service,
    client,
    serving,
    async stop() {
      client.close();
      health.close();
      return service.stop();
    },
  };
}

/** Runs a call expected to fail; returns its gRPC code, message and detail fields. */
export async function failure(call: Promise<unknown>) {
  try {
    await call;
  } catch (error) {
    const grpcError = error as ServiceError;
    return { code: grpcError.code, message: grpcError.details, ...decodeStatusDetails(grpcError.metadata) };
  }
  throw new Error("expected the call to fail");
}
