/**
 * Container health probe: asks grpc.health.v1 on 127.0.0.1:$GRPC_PORT and
 * exits 0 only when the server answers SERVING. Speaks TLS when the server
 * does (GRPC_TLS_CERT_FILE), presenting the server's own certificate when
 * mutual TLS is on (GRPC_TLS_CLIENT_CA_FILE).
 * Usage: node dist/healthcheck.js [service-name] (in an image), or
 * node --import tsx healthcheck-cli.ts [service-name] from the sources.
 */
import { credentials } from "@grpc/grpc-js";
import { Health, HealthCheckResponse_ServingStatus } from "@faultmaven/contract/rpc";
import { createClient } from "./client.js";
import { readServerConfig } from "./server-config.js";

const { port, tls } = readServerConfig(50051, 0);
// The probe talks to its own process over loopback and sends nothing secret:
// it checks that the server answers, not who it is, so any certificate will do.
const channel = tls
  ? credentials.createSsl(null, tls.clientCa ? tls.key : null, tls.clientCa ? tls.cert : null, { rejectUnauthorized: false })
  : credentials.createInsecure();
const client = createClient(Health, `127.0.0.1:${port}`, { defaultTimeoutMs: 2000, credentials: channel });
client.check({ service: process.argv[2] ?? "" }).then(
  (reply) => {
    client.close();
    process.exit(reply.status === HealthCheckResponse_ServingStatus.SERVING ? 0 : 1);
  },
  () => process.exit(1),
);
