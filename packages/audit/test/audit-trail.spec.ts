import { Writable } from "node:stream";
import { runInCallScope } from "@faultmaven/call-scope";
import { pino } from "pino";
import {
  AuditMetrics,
  AuditTrail,
  auditTarget,
  createAuditLogger,
  failed,
  MemoryAuditLog,
  succeeded,
  type AuditLog,
} from "@faultmaven/audit";

/** An "audit" logger whose lines the test reads back. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createAuditLogger("auth-svc", sink), lines };
}

const caller = { identity: "spiffe://faultmaven/gateway", source: "ipv4:10.1.2.3:5555" };
const inCall = <T>(work: () => T) => runInCallScope({ deadline: undefined, signal: new AbortController().signal, caller }, work);
const USER = "usr_AAAAAAAAAAAAAAAAAAAAAA";
const TOKEN_ID = "tok_BBBBBBBBBBBBBBBB";

describe("AuditTrail", () => {
  it("stamps a record with the time, service and the call's caller, logs it once under the name audit and appends it", async () => {
    const { logger, lines } = capturedLogger();
    const log = new MemoryAuditLog(10);
    const trail = new AuditTrail("auth-svc", log, logger, new AuditMetrics(), () => 1_700_000_000_000);
    inCall(() =>
      trail.record({
        action: "role_change",
        target: auditTarget.user(USER),
        outcome: succeeded,
        detail: { rolesBefore: ["user"], rolesAfter: ["admin", "user"] },
      }),
    );
    const expected = {
      time: 1_700_000_000_000,
      service: "auth-svc",
      identity: caller.identity,
      source: caller.source,
      action: "role_change",
      target: `user:${USER}`,
      outcome: "success",
      reason: "",
      detail: { roles_before: "user", roles_after: "admin,user" },
    };
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ name: "audit", service: "auth-svc", level: 30, audit: expected });
    const page = await trail.page(undefined, 10);
    expect(page.records).toEqual([{ ...expected, id: "1700000000000-0" }]);
  });

  it("records a denial with the caller it is given, the method as target and reason PERMISSION_DENIED", async () => {
    const { logger } = capturedLogger();
    const trail = new AuditTrail("report-svc", new MemoryAuditLog(10), logger, new AuditMetrics());
    trail.recordDenial({
      method: "faultmaven.report.v1.ReportService/DeleteReport",
      caller: { identity: undefined, source: "ipv6:[::1]:4000" },
      entry: "UpdateUser.roles",
    });
    const [record] = (await trail.page(undefined, 1)).records;
    expect(record).toMatchObject({
      identity: "",
      source: "ipv6:[::1]:4000",
      action: "permission_denied",
      target: "method:faultmaven.report.v1.ReportService/DeleteReport",
      outcome: "failure",
      reason: "PERMISSION_DENIED",
      detail: { policy_entry: "UpdateUser.roles" },
    });
  });

  it("keeps tokens and free text out: a token as target or detail is [invalid], a message as reason is OTHER", async () => {
    const { logger, lines } = capturedLogger();
    const trail = new AuditTrail("auth-svc", new MemoryAuditLog(10), logger, new AuditMetrics());
    const token = `fm1.${USER}.${TOKEN_ID}.${"s".repeat(43)}`;
    trail.record({
      action: "token_revoke",
      target: auditTarget.token(token),
      outcome: failed("token not found: fm1.x"),
      detail: { tokenId: token, emailAfter: token, userId: "not an id", rolesAfter: ["ok", "bad role!"] },
    });
    trail.record({ action: "login", target: auditTarget.loginName(token), outcome: failed("INVALID_CREDENTIALS") });
    const records = (await trail.page(undefined, 10)).records;
    expect(records.map((r) => [r.target, r.reason, r.detail])).toEqual([
      ["login_name:[invalid]", "INVALID_CREDENTIALS", {}],
      ["token:[invalid]", "OTHER", { token_id: "[invalid]", email_after: "[invalid]", user_id: "[invalid]", roles_after: "ok,[invalid]" }],
    ]);
    expect(JSON.stringify(lines)).not.toContain("fm1.");
  });

  it("never throws: an append that fails is logged and the caller goes on", () => {
    const { logger, lines } = capturedLogger();
    const broken: AuditLog = {
      append() {
        throw new Error("disk on fire");
      },
      page: async () => ({ records: [], next: undefined }),
      close: async () => undefined,
    };
    const trail = new AuditTrail("auth-svc", broken, logger, new AuditMetrics());
    expect(() => trail.record({ action: "user_delete", target: auditTarget.user(USER), outcome: succeeded })).not.toThrow();
    expect(lines.map((l) => l.msg)).toEqual(["user_delete success", "audit record failed"]);
  });

  it("counts records by action and outcome in audit_records_total", async () => {
    const registry = new (await import("prom-client")).Registry();
    const trail = new AuditTrail("auth-svc", new MemoryAuditLog(10), pino({ level: "silent" }), new AuditMetrics(registry));
    trail.record({ action: "login", target: auditTarget.loginName("alice"), outcome: succeeded });
    trail.record({ action: "login", target: auditTarget.loginName("alice"), outcome: failed("LOGIN_THROTTLED") });
    trail.record({ action: "login", target: auditTarget.loginName("bob"), outcome: failed("INVALID_CREDENTIALS") });
    const text = await registry.metrics();
    expect(text).toContain('audit_records_total{action="login",outcome="success"} 1');
    expect(text).toContain('audit_records_total{action="login",outcome="failure"} 2');
  });
});

describe("MemoryAuditLog", () => {
  const record = (time: number) => ({
    time,
    service: "auth-svc",
    identity: "",
    source: "ipv4:127.0.0.1:1",
    action: "login" as const,
    target: "login_name:alice",
    outcome: "success" as const,
    reason: "",
    detail: {},
  });

  it("keeps the newest maxLen records and pages through them newest first by record id", async () => {
    const log = new MemoryAuditLog(5);
    // Two records in one millisecond, and a clock that steps back: ids stay unique and ordered.
    for (const time of [100, 100, 101, 99, 102, 103, 104]) log.append(record(time));
    const first = await log.page(undefined, 2);
    expect(first.records.map((r) => r.id)).toEqual(["104-0", "103-0"]);
    const second = await log.page(first.next, 2);
    expect(second.records.map((r) => r.id)).toEqual(["102-0", "101-1"]);
    const third = await log.page(second.next, 2);
    expect(third.records.map((r) => r.id)).toEqual(["101-0"]);
    expect(third.next).toBeUndefined();
  });
});
