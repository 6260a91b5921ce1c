/**
 * Container health probe: asks grpc.health.v1 on 127.0.0.1:$GRPC_PORT and
 * exits 0 only when the server answers SERVING.
 * Usage: node --import tsx healthcheck-cli.ts [service-name]
 */
import { Health, HealthCheckResponse_ServingStatus } from "@faultmaven/contract/rpc";
import { createClient } from "./client.js";
import { EnvReader } from "@faultmaven/config";

const port = new EnvReader().integer("GRPC_PORT", 50051, 1, 65535);
const client = createClient(Health, `127.0.0.1:${port}`, { defaultTimeoutMs: 2000 });
client.check({ service: process.argv[2] ?? "" }).then(
  (reply) => {
    client.close();
    process.exit(reply.status === HealthCheckResponse_ServingStatus.SERVING ? 0 : 1);
  },
  () => process.exit(1),
);
