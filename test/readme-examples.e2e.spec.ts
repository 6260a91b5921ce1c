import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { AuthService } from "@faultmaven/contract/auth";
import { ReportService } from "@faultmaven/contract/report";
import { SessionService } from "@faultmaven/contract/session";
import { bufCurl, ChromaServer, listMethods, RedisServer, startGrpcService, type RunningService } from "@faultmaven/test-kit";
import { readmeCallExamples, type CallExample } from "./readme-call-examples.js";

/**
 * The README's call examples, run verbatim (through buf curl, as grpcurl is
 * not installable here) against the three real services on free ports.
 * Only the address and the placeholder ids change: each placeholder takes
 * the id an earlier example's reply returned.
 */
const examples = readmeCallExamples(fileURLToPath(new URL("../README.md", import.meta.url)));
const entry = (service: string) => fileURLToPath(new URL(`../services/${service}/src/main.ts`, import.meta.url));

let redis: RedisServer;
let chroma: ChromaServer;
const services: RunningService<never>[] = [];
/** README port -> the address the test's service listens on. */
const addresses = new Map<string, string>();

beforeAll(async () => {
  [redis, chroma] = await Promise.all([RedisServer.start(), ChromaServer.start()]);
  const [session, auth, report] = await Promise.all([
    startGrpcService(entry("session-svc"), SessionService, redis.env),
    startGrpcService(entry("auth-svc"), AuthService, redis.env),
    startGrpcService(entry("report-svc"), ReportService, { ...redis.env, ...chroma.env, CHROMA_TIMEOUT_MS: "10000" }),
  ]);
  services.push(session as never, auth as never, report as never);
  addresses.set("50051", session.service.address).set("50052", auth.service.address).set("50053", report.service.address);
}, 90_000);
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await Promise.all([redis?.close(), chroma?.close()]);
});

/** Placeholder -> what replaces it, and the pattern that finds the real value in a reply. */
const PLACEHOLDERS: Record<string, RegExp> = {
  "sess_...": /"(sess_[A-Za-z0-9_-]{16,64})"/,
  "usr_...": /"(usr_[A-Za-z0-9_-]{22})"/,
  "rep_...": /"(rep_[A-Za-z0-9_-]{22})"/,
  "fm1....": /"(fm1\.[A-Za-z0-9_.-]+)"/,
};
const seen = new Map<string, string>();

/** The body with every placeholder string replaced by the value an earlier reply gave. */
function realBody(body: string): unknown {
  const replaced = body.replace(/"([a-z0-9]+_\.\.\.|fm1\.\.\.\.)"/g, (_, placeholder: string) => {
    if (!(placeholder in PLACEHOLDERS)) throw new Error(`unknown placeholder ${placeholder}`);
    const value = seen.get(placeholder);
    if (value === undefined) throw new Error(`no earlier example returned a value for ${placeholder}`);
    return JSON.stringify(value);
  });
  return JSON.parse(replaced);
}

/** What each method's reply must look like. */
const expectations: Record<string, (reply: Record<string, unknown>) => void> = {
  "SessionService/CreateSession": (r) =>
    expect(r).toMatchObject({ session: { sessionId: expect.stringMatching(/^sess_/), userId: "user_def456" } }),
  "SessionService/GetSession": (r) => expect(r).toMatchObject({ session: { sessionId: seen.get("sess_..."), context: { lang: "en" } } }),
  // AppendMessage and UpdateSession answer the new counters; the whole session only with return_session.
  "SessionService/AppendMessage": (r) => {
    expect(r).toMatchObject({ message: { content: expect.any(String), timestamp: expect.any(String) }, messageCount: expect.any(String) });
    expect(r.session).toBeUndefined();
  },
  "SessionService/AppendMessage+session": (r) =>
    expect(r).toMatchObject({
      message: { role: "MESSAGE_ROLE_USER", content: "and db-2" },
      session: {
        sessionId: seen.get("sess_..."),
        messages: expect.arrayContaining([expect.objectContaining({ role: "MESSAGE_ROLE_USER", content: "disk full on db-1" })]),
      },
    }),
  "SessionService/UpdateSession": (r) => {
    expect(r).toMatchObject({ version: expect.any(String), lastActivity: expect.any(String), expiresAt: expect.any(String) });
    expect(r.session).toBeUndefined();
  },
  "Health/Check": (r) => expect(r).toEqual({ status: "SERVING" }),
  "AuthService/CreateUser": (r) => expect(r).toMatchObject({ user: { userId: expect.stringMatching(/^usr_/), username: "john" } }),
  "AuthService/UpdateUser": (r) => expect(r).toMatchObject({ user: { userId: seen.get("usr_..."), displayName: "John Doe" } }),
  "AuthService/Login": (r) => expect(r).toMatchObject({ token: expect.stringMatching(/^fm1\./), user: { username: "john" } }),
  "AuthService/ValidateToken": (r) => expect(r).toMatchObject({ userId: seen.get("usr_...") }),
  "AuthService/RevokeUserTokens": (r) => expect(r).toEqual({ revokedCount: 1 }),
  "AuditService/ListAuditRecords": (r) =>
    expect((r as { records: unknown[] }).records[0]).toMatchObject({
      service: "auth-svc",
      action: "token_revoke_all",
      target: `user:${seen.get("usr_...")}`,
      outcome: "AUDIT_OUTCOME_SUCCESS",
      detail: { revoked_count: "1" },
    }),
  "ReportService/SaveReport": (r) => expect(r).toMatchObject({ report: { version: 1, isCurrent: true, createdBy: seen.get("usr_...") } }),
  "ReportService/GetReport": (r) =>
    expect(r).toMatchObject({ report: { reportId: seen.get("rep_..."), content: "Root cause: WAL archiving stalled" } }),
  "ReportService/SearchReports": (r) =>
    expect(r).toMatchObject({ results: [{ report: { reportId: seen.get("rep_...") }, score: expect.any(Number) }] }),
  "ReportService/CloseCase": (r) => expect(r).toMatchObject({ expiresAt: expect.any(String) }),
};

function methodKey(path: string): string {
  return path.split(".").pop()!;
}

describe("the README's call examples", () => {
  it("cover all three services, with a reply check for every method they call", () => {
    const targets = new Set(examples.map((e) => e.target.split(":")[1]));
    expect([...targets].sort()).toEqual(["50051", "50052", "50053"]);
    for (const example of examples) if (example.path) expect(Object.keys(expectations)).toContain(methodKey(example.path));
  });

  it.each(examples.map((e) => [e.command, e] as [string, CallExample]))("%s", async (_, example) => {
    const address = addresses.get(example.target.split(":")[1]!);
    expect(address).toBeDefined();
    if (example.path === undefined) {
      const methods = await listMethods(address!);
      expect(methods).toEqual(
        expect.arrayContaining([expect.stringMatching(/^faultmaven\.\w+\.v1\.\w+Service\//), "grpc.health.v1.Health/Check"]),
      );
      return;
    }
    if (example.decodesError) {
      // Run verbatim through a shell, only the address changed: buf curl's error piped into pnpm decode-error.
      const command = example.command.replace(`http://${example.target}/`, `http://${address}/`);
      const { stdout } = await promisify(execFile)("sh", ["-c", command], { cwd: fileURLToPath(new URL("..", import.meta.url)) });
      expect(JSON.parse(stdout)).toMatchObject({
        code: "invalid_argument",
        details: expect.arrayContaining([
          expect.objectContaining({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [expect.objectContaining({ field: "user_id" })],
          }),
        ]),
      });
      return;
    }
    const result = await bufCurl(address!, example.path, example.body === undefined ? undefined : realBody(example.body));
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    for (const [placeholder, pattern] of Object.entries(PLACEHOLDERS)) {
      const found = pattern.exec(result.stdout);
      if (found) seen.set(placeholder, found[1]!);
    }
    const asksForSession = example.body?.includes('"return_session":true') ? "+session" : "";
    expectations[methodKey(example.path) + asksForSession]!(JSON.parse(result.stdout) as Record<string, unknown>);
  });

  it("stores the message of the AppendMessage example with an idempotency key once, however often it is sent", async () => {
    const example = examples.find((e) => e.body?.includes('"idempotency_key"'));
    expect(example?.path).toBe("/faultmaven.session.v1.SessionService/AppendMessage");
    const address = addresses.get("50051")!;
    const again = await Promise.all([1, 2, 3].map(() => bufCurl(address, example!.path!, realBody(example!.body!))));
    expect(again.map((r) => r.code)).toEqual([0, 0, 0]);
    const reply = await bufCurl(address, "/faultmaven.session.v1.SessionService/GetSession", { session_id: seen.get("sess_...") });
    const { messages } = (JSON.parse(reply.stdout) as { session: { messages: { content: string }[] } }).session;
    expect(messages.filter((m) => m.content === "check df -h")).toHaveLength(1);
  });

  it("left the session as the UpdateSession examples asked: case linked, context keys set and removed", async () => {
    const address = addresses.get("50051")!;
    const reply = await bufCurl(address, "/faultmaven.session.v1.SessionService/GetSession", {
      session_id: seen.get("sess_..."),
    });
    expect(JSON.parse(reply.stdout)).toMatchObject({ session: { caseId: "case_xyz", context: { db_host: "db-1", OnCall: "alice" } } });
    expect(Object.keys((JSON.parse(reply.stdout) as { session: { context: object } }).session.context).sort()).toEqual([
      "OnCall",
      "db_host",
    ]);
  });
});
