import { readFileSync } from "node:fs";
import { credentials, status } from "@grpc/grpc-js";
import { SessionService } from "@faultmaven/contract/session";
import { createClient } from "@faultmaven/grpc-kit";
import { failure, makeTestPki, RedisServer, ServiceProcess, type TestPki } from "@faultmaven/test-kit";
import { ENTRY } from "./service-harness.js";

/** TLS and mutual TLS, switched on by configuration, as a client sees them. */
let redis: RedisServer;
let pki: TestPki;
beforeAll(async () => {
  [redis, pki] = await Promise.all([RedisServer.start(), makeTestPki()]);
});
afterAll(async () => {
  pki?.remove();
  await redis?.close();
});

const read = (path: string) => readFileSync(path);

it("serves TLS when a certificate and key are configured", async () => {
  const svc = await ServiceProcess.start(ENTRY, { ...redis.env, GRPC_TLS_CERT_FILE: pki.serverCert, GRPC_TLS_KEY_FILE: pki.serverKey });
  const tls = createClient(SessionService, `localhost:${svc.port}`, { credentials: credentials.createSsl(read(pki.caCert)) });
  const plain = createClient(SessionService, `localhost:${svc.port}`, { defaultTimeoutMs: 2000 });
  try {
    expect(svc.logs.find((l) => l.msg === "ready")).toMatchObject({ tls: "server" });
    const { session } = await tls.createSession({ userId: "tls_user", clientId: "c" });
    expect(session!.userId).toBe("tls_user");
    expect((await failure(plain.createSession({ userId: "u", clientId: "c" }))).code).toBe(status.UNAVAILABLE);
  } finally {
    tls.close();
    plain.close();
    await svc.stop();
  }
});

it("requires a client certificate signed by the configured CA (mutual TLS)", async () => {
  const svc = await ServiceProcess.start(ENTRY, {
    ...redis.env,
    GRPC_TLS_CERT_FILE: pki.serverCert,
    GRPC_TLS_KEY_FILE: pki.serverKey,
    GRPC_TLS_CLIENT_CA_FILE: pki.caCert,
  });
  const withCert = createClient(SessionService, `localhost:${svc.port}`, {
    credentials: credentials.createSsl(read(pki.caCert), read(pki.clientKey), read(pki.clientCert)),
  });
  const withoutCert = createClient(SessionService, `localhost:${svc.port}`, {
    credentials: credentials.createSsl(read(pki.caCert)),
    defaultTimeoutMs: 2000,
  });
  try {
    expect(svc.logs.find((l) => l.msg === "ready")).toMatchObject({ tls: "mutual" });
    expect((await withCert.createSession({ userId: "mtls_user", clientId: "c" })).session!.userId).toBe("mtls_user");
    expect((await failure(withoutCert.createSession({ userId: "u", clientId: "c" }))).code).toBe(status.UNAVAILABLE);
  } finally {
    withCert.close();
    withoutCert.close();
    await svc.stop();
  }
});

it("warns loudly in production when gRPC is plaintext", async () => {
  const svc = await ServiceProcess.start(ENTRY, { ...redis.env, ENVIRONMENT: "production", AUTHZ_ALLOW_ALL_CALLERS: "true" });
  try {
    expect(svc.logs.find((l) => l.msg?.startsWith("gRPC is PLAINTEXT"))).toMatchObject({ level: 40 });
  } finally {
    await svc.stop();
  }
});
