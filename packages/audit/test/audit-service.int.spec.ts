import { EnvReader } from "@faultmaven/config";
import { AuditOutcome, AuditService } from "@faultmaven/contract/audit";
import { createClient, toServiceDefinition } from "@faultmaven/grpc-kit";
import { createRedisClient, readRedisConfig, type RedisClient } from "@faultmaven/redis";
import { RedisServer, waitFor } from "@faultmaven/test-kit";
import { Server, ServerCredentials } from "@grpc/grpc-js";
import { pino } from "pino";
import { auditBinding, type AuditTrail, openAuditTrail } from "@faultmaven/audit";

/**
 * The denial hook's records on a real Redis stream, read back through
 * AuditService.ListAuditRecords served in process (as each service serves
 * it: auditBinding through the grpc-kit pipeline).
 */
let redis: RedisServer;
let client: RedisClient;
let trail: AuditTrail;
let server: Server;
let audit: ReturnType<typeof createClient<(typeof AuditService)["method"]>>;
const silent = pino({ level: "silent" });

beforeAll(async () => {
  redis = await RedisServer.start();
  client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "audit-service-test");
  await client.connect();
  trail = openAuditTrail({
    service: "report-svc",
    streamKey: "report:audit",
    client,
    config: { streamMaxLen: 1000, queueMax: 1000 },
    logger: silent,
    auditLogger: silent,
  });
  server = new Server();
  server.addService(toServiceDefinition(AuditService), auditBinding(trail).implement({ logger: silent }));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  audit = createClient(AuditService, `127.0.0.1:${port}`);
});
afterAll(async () => {
  audit?.close();
  server?.forceShutdown();
  await trail?.close();
  await client?.quit();
  await redis?.close();
});

describe("denials in the audit stream", () => {
  it("records each PERMISSION_DENIED given to the hook, with the refused caller, and ListAuditRecords pages through them", async () => {
    const methods = ["DeleteReport", "DeleteCaseReports", "SaveReport"].map((m) => `faultmaven.report.v1.ReportService/${m}`);
    for (const [i, method] of methods.entries()) {
      trail.recordDenial({ method, caller: { identity: `spiffe://faultmaven/caller-${i}`, source: `ipv4:10.0.0.${i}:4000` } });
    }
    await waitFor("the three denials in the stream", async () => (await redis.admin.xlen("report:audit")) === 3);
    const first = await audit.listAuditRecords({ pageSize: 2 });
    const second = await audit.listAuditRecords({ pageSize: 2, pageToken: first.nextPageToken });
    expect(second.nextPageToken).toBe("");
    const records = [...first.records, ...second.records].reverse();
    expect(records.map((r) => [r.action, r.target, r.outcome, r.reason, r.callerIdentity, r.source, r.service])).toEqual(
      methods.map((method, i) => [
        "permission_denied",
        `method:${method}`,
        AuditOutcome.FAILURE,
        "PERMISSION_DENIED",
        `spiffe://faultmaven/caller-${i}`,
        `ipv4:10.0.0.${i}:4000`,
        "report-svc",
      ]),
    );
    // Page tokens are the records' own stream ids.
    expect(first.nextPageToken).toBe(first.records[1]!.recordId);
  });
});
