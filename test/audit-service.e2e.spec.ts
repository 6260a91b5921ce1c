import { fileURLToPath } from "node:url";
import { AuditOutcome, AuditService } from "@faultmaven/contract/audit";
import { AuthService } from "@faultmaven/contract/auth";
import { createClient } from "@faultmaven/grpc-kit";
import { freePort, listMethods, RedisServer, startGrpcService } from "@faultmaven/test-kit";

/** Every service serves AuditService over its own stream (auth-svc's records: services/auth-svc/test/auth-audit.e2e.spec.ts). */
const entry = (service: string) => fileURLToPath(new URL(`../services/${service}/src/main.ts`, import.meta.url));
let redis: RedisServer;

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.close();
});

describe.each([
  ["session-svc", async () => ({})],
  // report-svc in development starts without ChromaDB (NOT_SERVING for reports); the audit trail needs only Redis.
  ["report-svc", async () => ({ CHROMA_URL: `http://127.0.0.1:${await freePort()}`, CHROMA_TIMEOUT_MS: "300" })],
])("%s", (service, extraEnv) => {
  it("serves faultmaven.audit.v1.AuditService/ListAuditRecords (listed by reflection) over its own, empty stream", async () => {
    const running = await startGrpcService(entry(service), AuditService, { ...redis.env, ...(await extraEnv()) });
    try {
      expect(await listMethods(running.service.address)).toContain("faultmaven.audit.v1.AuditService/ListAuditRecords");
      expect(await running.client.listAuditRecords({ pageSize: 10 })).toMatchObject({ records: [], nextPageToken: "" });
    } finally {
      await running.stop();
    }
  });
});

describe("auth-svc on the in-memory fallback (AUTH_STORAGE_TYPE=inmemory)", () => {
  it("keeps its audit records in the process and serves them through ListAuditRecords", async () => {
    const running = await startGrpcService(entry("auth-svc"), AuditService, { AUTH_STORAGE_TYPE: "inmemory" });
    const auth = createClient(AuthService, running.service.address);
    try {
      const { user } = await auth.createUser({ username: "memory_user", email: "memory@example.com", password: "a long passphrase" });
      const { records } = await running.client.listAuditRecords({});
      expect(records.map((r) => [r.action, r.target, r.outcome, r.detail])).toEqual([
        ["user_create", "login_name:memory_user", AuditOutcome.SUCCESS, { user_id: user!.userId }],
      ]);
    } finally {
      auth.close();
      await running.stop();
    }
  });
});
