import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { credentials, status } from "@grpc/grpc-js";
import { AuditOutcome, AuditService } from "@faultmaven/contract/audit";
import { AuthService } from "@faultmaven/contract/auth";
import { ReportService, ReportStatus, ReportType } from "@faultmaven/contract/report";
import { createClient, type PromiseClient } from "@faultmaven/grpc-kit";
import {
  ChromaServer,
  failure,
  issueClientCertificate,
  type LogLine,
  makeTestPki,
  RedisServer,
  ServiceProcess,
  type TestClientCertificate,
  type TestPki,
  waitFor,
} from "@faultmaven/test-kit";

const AUTH_MAIN = fileURLToPath(new URL("../services/auth-svc/src/main.ts", import.meta.url));
const REPORT_MAIN = fileURLToPath(new URL("../services/report-svc/src/main.ts", import.meta.url));
const EXAMPLE_POLICY = fileURLToPath(new URL("../config/authz-policy.example.json", import.meta.url));

const GATEWAY = "spiffe://faultmaven/gateway";
const ADMIN = "spiffe://faultmaven/admin";
const AGENT = "spiffe://faultmaven/agent";

/**
 * Real processes over real mutual TLS (a throwaway PKI): auth-svc and
 * report-svc in production with the example policy, called by a gateway,
 * an admin, an agent and a client whose certificate has only a CN.
 */
let redis: RedisServer;
let chroma: ChromaServer;
let pki: TestPki;
let auth: ServiceProcess;
let report: ServiceProcess;
const certs: Record<"gateway" | "admin" | "agent" | "legacy", TestClientCertificate> = {} as never;
const clients: { close(): void }[] = [];

beforeAll(async () => {
  [redis, chroma, pki] = await Promise.all([RedisServer.start(), ChromaServer.start(), makeTestPki()]);
  certs.gateway = await issueClientCertificate(pki, "gateway", { cn: "gateway", uri: GATEWAY });
  certs.admin = await issueClientCertificate(pki, "admin", { cn: "admin", uri: ADMIN });
  certs.agent = await issueClientCertificate(pki, "agent", { cn: "agent", uri: AGENT });
  certs.legacy = await issueClientCertificate(pki, "legacy", { cn: "legacy-client" });
  const env = {
    ...redis.env,
    ENVIRONMENT: "production",
    GRPC_TLS_CERT_FILE: pki.serverCert,
    GRPC_TLS_KEY_FILE: pki.serverKey,
    GRPC_TLS_CLIENT_CA_FILE: pki.caCert,
    AUTHZ_POLICY_FILE: EXAMPLE_POLICY,
  };
  [auth, report] = await Promise.all([
    ServiceProcess.start(AUTH_MAIN, env),
    ServiceProcess.start(REPORT_MAIN, { ...env, ...chroma.env, CHROMA_TIMEOUT_MS: "10000" }),
  ]);
}, 90_000);
afterAll(async () => {
  for (const client of clients) client.close();
  await Promise.all([auth?.stop(), report?.stop()]);
  await Promise.all([redis?.close(), chroma?.close()]);
  pki?.remove();
});

const authAs = (who: keyof typeof certs) => connect(AuthService, auth, certs[who]);
const reportAs = (who: keyof typeof certs) => connect(ReportService, report, certs[who]);

function connect<T extends GenServiceMethods>(service: GenService<T>, svc: ServiceProcess, cert: TestClientCertificate): PromiseClient<T> {
  const client = createClient(service, `localhost:${svc.port}`, {
    credentials: credentials.createSsl(readFileSync(pki.caCert), readFileSync(cert.key), readFileSync(cert.cert)),
    defaultTimeoutMs: 10_000,
  });
  clients.push(client);
  return client;
}

let n = 0;
/** A user created by the gateway, with a token from its login. */
async function newUser() {
  const gateway = authAs("gateway");
  const username = `authz_user_${++n}`;
  const { user } = await gateway.createUser({ username, email: `${username}@example.com`, password: "a good password" });
  const { token } = await gateway.login({ identifier: { case: "username", value: username }, password: "a good password" });
  return { userId: user!.userId, token };
}

async function expectDenied(call: Promise<unknown>, method: string, caller: string, entry = method.split("/")[1]!) {
  const answer = await failure(call);
  expect(answer).toMatchObject({ code: status.PERMISSION_DENIED, reason: "CALLER_NOT_ALLOWED" });
  expect(answer.message).toContain(`${caller} may not`);
  expect(await logLine((l) => l.msg === "permission denied" && l.method === method && l.entry === entry)).toMatchObject({
    level: 40,
    caller,
  });
}

/** The first log line of either service matching `test`, waited for (the process writes it around when it answers). */
async function logLine(test: (line: LogLine) => boolean): Promise<LogLine | undefined> {
  const find = () => [...auth.logs, ...report.logs].find(test);
  await waitFor("the log line", () => find() !== undefined, 5000);
  return find();
}

describe("the example policy over mutual TLS", () => {
  it("refuses the agent CreateUser, UpdateUser of roles, DeleteUser, RevokeUserTokens and DeleteCaseReports, changing nothing", async () => {
    const { userId, token } = await newUser();
    const agent = authAs("agent");
    const svc = "faultmaven.auth.v1.AuthService";
    await expectDenied(
      agent.createUser({ username: "by_agent", email: "by_agent@example.com", password: "a good password" }),
      `${svc}/CreateUser`,
      AGENT,
    );
    await expectDenied(
      agent.updateUser({ user: { userId, roles: ["admin"] }, updateMask: { paths: ["roles"] } }),
      `${svc}/UpdateUser`,
      AGENT,
    );
    await expectDenied(agent.deleteUser({ userId }), `${svc}/DeleteUser`, AGENT);
    await expectDenied(agent.revokeUserTokens({ userId }), `${svc}/RevokeUserTokens`, AGENT);

    const caseId = `authz_case_${++n}`;
    const saved = await reportAs("agent").saveReport({
      caseId,
      type: ReportType.RCA_REPORT,
      status: ReportStatus.FINAL,
      content: "root cause",
      createdBy: "user_abc",
    });
    await expectDenied(reportAs("agent").deleteCaseReports({ caseId }), "faultmaven.report.v1.ReportService/DeleteCaseReports", AGENT);

    // Nothing changed: the user, its roles, its token and the case's report are all still there.
    const admin = authAs("admin");
    expect((await admin.getUser({ userId })).user!.roles).toEqual([]);
    expect((await agent.validateToken({ token })).userId).toBe(userId);
    expect((await reportAs("agent").getReport({ reportId: saved.report!.reportId })).report!.caseId).toBe(caseId);
  });

  it("records each denial in the service's audit stream, which the admin may page through and the agent may not", async () => {
    const { userId } = await newUser();
    const caseId = `authz_case_${++n}`;
    await expectDenied(authAs("agent").deleteUser({ userId }), "faultmaven.auth.v1.AuthService/DeleteUser", AGENT);
    await expectDenied(reportAs("agent").deleteCaseReports({ caseId }), "faultmaven.report.v1.ReportService/DeleteCaseReports", AGENT);
    const deniedIn = async (svc: ServiceProcess, method: string) => {
      const { records } = await connect(AuditService, svc, certs.admin).listAuditRecords({ pageSize: 500 });
      return records.filter((r) => r.action === "permission_denied" && r.target.endsWith(method));
    };
    await waitFor("the auth-svc denial in its stream", async () => (await deniedIn(auth, "AuthService/DeleteUser")).length > 0, 5000);
    await waitFor(
      "the report-svc denial in its stream",
      async () => (await deniedIn(report, "ReportService/DeleteCaseReports")).length > 0,
      5000,
    );
    const expected = { callerIdentity: AGENT, outcome: AuditOutcome.FAILURE, reason: "PERMISSION_DENIED", source: "127.0.0.1" };
    expect((await deniedIn(auth, "AuthService/DeleteUser"))[0]).toMatchObject({ ...expected, service: "auth-svc" });
    expect((await deniedIn(report, "ReportService/DeleteCaseReports"))[0]).toMatchObject({ ...expected, service: "report-svc" });
    await expectDenied(
      connect(AuditService, auth, certs.agent).listAuditRecords({}),
      "faultmaven.audit.v1.AuditService/ListAuditRecords",
      AGENT,
    );
  });

  it("allows the agent what the policy grants it: ValidateToken, SaveReport and the report reads", async () => {
    const { userId, token } = await newUser();
    expect((await authAs("agent").validateToken({ token })).userId).toBe(userId);
    const caseId = `authz_case_${++n}`;
    const agent = reportAs("agent");
    const { report: saved } = await agent.saveReport({
      caseId,
      type: ReportType.INCIDENT_REPORT,
      status: ReportStatus.FINAL,
      content: "incident",
      createdBy: "user_abc",
    });
    expect((await agent.listCaseReports({ caseId })).reports.map((r) => r.reportId)).toEqual([saved!.reportId]);
    // Every line of an allowed call names its caller too.
    expect(await logLine((l) => l.msg === "rpc" && l.method === "faultmaven.auth.v1.AuthService/ValidateToken")).toMatchObject({
      caller: AGENT,
      code: "OK",
    });
  });

  it("lets the gateway create users, log in and edit profiles, but not change roles", async () => {
    const { userId } = await newUser();
    const gateway = authAs("gateway");
    const { user } = await gateway.updateUser({ user: { userId, displayName: "Alice" }, updateMask: { paths: ["display_name"] } });
    expect(user!.displayName).toBe("Alice");
    await expectDenied(
      gateway.updateUser({ user: { userId, displayName: "Bob", roles: ["admin"] }, updateMask: { paths: ["display_name", "roles"] } }),
      "faultmaven.auth.v1.AuthService/UpdateUser",
      GATEWAY,
      "UpdateUser.roles",
    );
    expect((await gateway.getUser({ userId })).user).toMatchObject({ displayName: "Alice", roles: [] });
  });

  it("lets the admin change roles, revoke all tokens, delete users and delete a case's reports", async () => {
    const { userId, token } = await newUser();
    const admin = authAs("admin");
    expect((await admin.updateUser({ user: { userId, roles: ["admin"] }, updateMask: { paths: ["roles"] } })).user!.roles).toEqual([
      "admin",
    ]);
    expect((await admin.revokeUserTokens({ userId })).revokedCount).toBe(1);
    expect((await failure(authAs("agent").validateToken({ token }))).code).toBe(status.UNAUTHENTICATED);
    await admin.deleteUser({ userId });
    expect((await failure(admin.getUser({ userId }))).code).toBe(status.NOT_FOUND);

    const caseId = `authz_case_${++n}`;
    await reportAs("agent").saveReport({
      caseId,
      type: ReportType.RCA_REPORT,
      status: ReportStatus.FINAL,
      content: "x",
      createdBy: "user_abc",
    });
    expect((await reportAs("admin").deleteCaseReports({ caseId })).deletedCount).toBe(1);
  });

  it("names a client whose certificate has only a CN by that CN (and the example policy grants it nothing)", async () => {
    const answer = await failure(authAs("legacy").validateToken({ token: "whatever" }));
    expect(answer).toMatchObject({ code: status.PERMISSION_DENIED, reason: "CALLER_NOT_ALLOWED" });
    expect(answer.message).toBe("legacy-client may not call faultmaven.auth.v1.AuthService/ValidateToken");
    expect(await logLine((l) => l.msg === "rpc" && l.caller === "legacy-client")).toMatchObject({ code: "PERMISSION_DENIED" });
  });

  it("takes the end user's address from the gateway's x-faultmaven-client-address, and from no one else", async () => {
    const { token } = await newUser();
    await authAs("gateway").getUser(
      { userId: (await authAs("agent").validateToken({ token })).userId },
      {
        metadata: { "x-faultmaven-client-address": "203.0.113.7", "x-request-id": "authz-gw" },
      },
    );
    await authAs("agent").validateToken(
      { token },
      { metadata: { "x-faultmaven-client-address": "203.0.113.8", "x-request-id": "authz-agent" } },
    );
    const rpc = (id: string) => logLine((l) => l.msg === "rpc" && l.request_id === id);
    expect(await rpc("authz-gw")).toMatchObject({ caller: GATEWAY, source: "203.0.113.7" });
    expect(await rpc("authz-agent")).toMatchObject({ caller: AGENT });
    expect(await rpc("authz-agent")).not.toHaveProperty("source");
  });
});

describe("starting with authorization", () => {
  it("production without a policy refuses to start, naming AUTHZ_POLICY_FILE and the allow-all switch", async () => {
    const { code, output } = await ServiceProcess.runToExit(AUTH_MAIN, { ...redis.env, ENVIRONMENT: "production" });
    expect(code).toBe(1);
    expect(output).toContain("start failed: AUTHZ_POLICY_FILE: ENVIRONMENT=production needs an authorization policy");
    expect(output).toContain("AUTHZ_ALLOW_ALL_CALLERS=true");
  });

  it("a policy naming a method the service does not have stops the start, naming the file and the entry", async () => {
    const file = join(pki.dir, "typo-policy.json");
    writeFileSync(file, JSON.stringify({ services: { "faultmaven.auth.v1.AuthService": [{ methods: ["DeleteUsers"], allow: [ADMIN] }] } }));
    const { code, output } = await ServiceProcess.runToExit(AUTH_MAIN, { ...redis.env, AUTHZ_POLICY_FILE: file });
    expect(code).toBe(1);
    expect(output).toContain(
      `AUTHZ_POLICY_FILE: ${file}: services["faultmaven.auth.v1.AuthService"][0].methods[0]: faultmaven.auth.v1.AuthService has no method "DeleteUsers"`,
    );
  });
});
