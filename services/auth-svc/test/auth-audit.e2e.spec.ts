import { status } from "@grpc/grpc-js";
import { AuditOutcome, AuditService, type AuditRecord } from "@faultmaven/contract/audit";
import { createClient, type PromiseClient } from "@faultmaven/grpc-kit";
import { dumpRedis, RedisServer, waitFor } from "@faultmaven/test-kit";
import { failure, startAuthService } from "./auth-harness.js";

/**
 * auth-svc's audit trail as an administrator reads it: a real process on a
 * real Redis, its records paged through AuditService.ListAuditRecords, and
 * no password or token anywhere in Redis or the logs.
 */
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startAuthService>>;
let audit: PromiseClient<typeof AuditService.method>;
/** Every password and token the flow used. */
const secrets = new Set<string>();

beforeAll(async () => {
  redis = await RedisServer.start();
  svc = await startAuthService({ ...redis.env, AUDIT_STREAM_MAX_LEN: "100" });
  audit = createClient(AuditService, svc.service.address, { defaultTimeoutMs: 5000 });
});
afterAll(async () => {
  audit?.close();
  await svc?.stop();
  await redis?.close();
});

/** Every record of the stream through ListAuditRecords, `pageSize` at a time, newest first. */
async function allRecords(pageSize: number): Promise<AuditRecord[]> {
  const records: AuditRecord[] = [];
  let pageToken = "";
  do {
    const page = await audit.listAuditRecords({ pageSize, pageToken });
    expect(page.records.length).toBeLessThanOrEqual(pageSize);
    records.push(...page.records);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return records;
}

const streamLength = () => redis.admin.xlen("auth:audit");

describe("auth-svc audit trail", () => {
  it("records every security event of a user's life with action, target, outcome, details, service and source", async () => {
    const password = "correct horse battery staple";
    const next = "a brand new passphrase 42";
    const wrong = "not the password at all";
    for (const secret of [password, next, wrong]) secrets.add(secret);
    const login = async (secret: string) => {
      const reply = await svc.client.login({ identifier: { case: "username", value: "audited" }, password: secret });
      secrets.add(reply.token);
      return reply;
    };

    const { user } = await svc.client.createUser({ username: "audited", email: "audited@example.com", password, roles: ["engineer"] });
    const userId = user!.userId;
    const first = await login(password);
    expect((await failure(login(wrong))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(svc.client.changePassword({ userId, currentPassword: wrong, newPassword: next }))).code).toBe(
      status.UNAUTHENTICATED,
    );
    expect((await svc.client.changePassword({ userId, currentPassword: password, newPassword: next })).revokedCount).toBe(1);
    const second = await login(next);
    const third = await login(next);
    await svc.client.updateUser({ user: { userId, email: "moved@example.com" }, updateMask: { paths: ["email"] } });
    await svc.client.updateUser({ user: { userId, roles: ["engineer", "admin"] }, updateMask: { paths: ["roles"] } });
    await svc.client.revokeToken({ target: { case: "token", value: second.token } });
    expect((await svc.client.revokeUserTokens({ userId })).revokedCount).toBe(1);
    expect((await svc.client.deleteUser({ userId })).revokedCount).toBe(0);

    await waitFor("the 15 records in the stream", async () => (await streamLength()) === 15);
    const records = (await allRecords(3)).reverse();
    const ids = (reply: { tokenInfo?: { tokenId: string } }) => reply.tokenInfo!.tokenId;
    const success = AuditOutcome.SUCCESS;
    const failed = AuditOutcome.FAILURE;
    expect(records.map((r) => [r.action, r.target, r.outcome, r.reason, r.detail])).toEqual([
      ["user_create", "login_name:audited", success, "", { user_id: userId }],
      ["login", "login_name:audited", success, "", { user_id: userId, token_id: ids(first) }],
      ["token_issue", `token:${ids(first)}`, success, "", { user_id: userId }],
      ["login", "login_name:audited", failed, "INVALID_CREDENTIALS", {}],
      ["password_change", `user:${userId}`, failed, "WRONG_PASSWORD", {}],
      ["password_change", `user:${userId}`, success, "", { revoked_count: "1" }],
      ["login", "login_name:audited", success, "", { user_id: userId, token_id: ids(second) }],
      ["token_issue", `token:${ids(second)}`, success, "", { user_id: userId }],
      ["login", "login_name:audited", success, "", { user_id: userId, token_id: ids(third) }],
      ["token_issue", `token:${ids(third)}`, success, "", { user_id: userId }],
      ["email_change", `user:${userId}`, success, "", { email_before: "audited@example.com", email_after: "moved@example.com" }],
      ["role_change", `user:${userId}`, success, "", { roles_before: "engineer", roles_after: "engineer,admin" }],
      ["token_revoke", `token:${ids(second)}`, success, "", { user_id: userId }],
      ["token_revoke_all", `user:${userId}`, success, "", { revoked_count: "1" }],
      ["user_delete", `user:${userId}`, success, "", { revoked_count: "0" }],
    ]);
    for (const record of records) {
      expect(record).toMatchObject({ service: "auth-svc", callerIdentity: "", source: "127.0.0.1" });
      expect(Math.abs(Number(record.time!.seconds) - Date.now() / 1000)).toBeLessThan(60);
    }
    // The same records, one "audit" log line each.
    const lines = svc.service.logs.filter((line) => line.name === "audit");
    expect(lines.map((line) => (line.audit as { action: string }).action)).toEqual(records.map((r) => r.action));
  });

  it("keeps about AUDIT_STREAM_MAX_LEN records and pages through them newest first, without gaps or repeats", async () => {
    const tokenIds = Array.from({ length: 300 }, (_, i) => `tok_${String(i).padStart(16, "0")}`);
    for (const tokenId of tokenIds) {
      expect((await failure(svc.client.revokeToken({ target: { case: "tokenId", value: tokenId } }))).code).toBe(status.NOT_FOUND);
    }
    await waitFor("the last revocation in the stream", async () => {
      const [newest] = (await audit.listAuditRecords({ pageSize: 1 })).records;
      return newest?.target === `token:${tokenIds.at(-1)}`;
    });
    const length = await streamLength();
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThanOrEqual(200);

    const records = await allRecords(40);
    expect(records).toHaveLength(length);
    expect(records.map((r) => r.target)).toEqual(
      tokenIds
        .slice(-length)
        .reverse()
        .map((id) => `token:${id}`),
    );
    expect(records.every((r) => r.action === "token_revoke" && r.reason === "TOKEN_NOT_FOUND")).toBe(true);
    expect(new Set(records.map((r) => r.recordId)).size).toBe(length);
  });

  it("refuses a page_token that is no record id and a negative page_size, naming the field; nothing is before record 0-0", async () => {
    const badToken = await failure(audit.listAuditRecords({ pageToken: "fm1.not-an-id" }));
    expect(badToken).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ["page_token"] });
    const beyondIds = await failure(audit.listAuditRecords({ pageToken: "99999999999999999999-0" }));
    expect(beyondIds).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ["page_token"] });
    expect(await audit.listAuditRecords({ pageToken: "0-0" })).toMatchObject({ records: [], nextPageToken: "" });
    const badSize = await failure(audit.listAuditRecords({ pageSize: -1 }));
    expect(badSize).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ["page_size"] });
  });
});

describe("after the flow", () => {
  it("finds no password and no token in the audit records, the logs or anywhere in Redis (every key and value, the stream included)", async () => {
    expect(secrets.size).toBe(6);
    const dump = await dumpRedis(redis.admin);
    expect(dump.get("auth:audit")).toContain("token_revoke");
    const everything = [...dump].flat().join("\n");
    const logs = svc.service.rawOutput.join("\n");
    expect(logs).toContain('"name":"audit"');
    const records = JSON.stringify(await allRecords(500), (_, value: unknown) => (typeof value === "bigint" ? String(value) : value));
    for (const secret of secrets) {
      expect([everything.includes(secret), logs.includes(secret), records.includes(secret)]).toEqual([false, false, false]);
    }
    // Nor a token's secret part alone.
    const secretParts = [...secrets].filter((s) => s.startsWith("fm1.")).map((token) => token.split(".")[3]!);
    expect(secretParts).toHaveLength(3);
    expect(secretParts.filter((part) => everything.includes(part) || logs.includes(part))).toEqual([]);
  });
});

describe("at shutdown", () => {
  it("writes the records Redis could not take yet before exiting 0 on SIGTERM (none silently lost)", async () => {
    redis.pause();
    try {
      const refused = await failure(
        svc.client.login({ identifier: { case: "username", value: "shutdown_probe" }, password: "any password at all" }),
      );
      expect(refused.code).toBe(status.UNAVAILABLE);
      await waitFor("the flush to fail", () =>
        svc.service.logs.some((line) => line.msg === "audit stream unreachable: records queued for a retry"),
      );
    } finally {
      redis.resume();
    }
    expect(await svc.stop()).toBe(0);
    const entries = await redis.admin.xrevrange("auth:audit", "+", "-", "COUNT", 5);
    const probes = entries.filter(([, fields]) => fields.includes("login_name:shutdown_probe"));
    // At least once: a batch whose reply was lost may have been written twice.
    expect(probes.length).toBeGreaterThanOrEqual(1);
    // The login's first step, counting the attempt, is a write sent to the frozen Redis: its outcome is unknown.
    expect(probes[0]![1]).toEqual(expect.arrayContaining(["action", "login", "outcome", "failure", "reason", "OUTCOME_UNKNOWN"]));
    expect(svc.service.logs.filter((line) => String(line.msg).startsWith("audit records not written"))).toEqual([]);
  });
});
