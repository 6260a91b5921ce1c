import { status } from "@grpc/grpc-js";
import { MessageRole } from "@faultmaven/contract/session";
import { bufCurl, listMethods, RedisServer } from "@faultmaven/test-kit";
import { failure, startSessionService } from "./service-harness.js";

/** session-svc as its callers see it: a real process on a real Redis, called over gRPC. */
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startSessionService>>;

beforeAll(async () => {
  redis = await RedisServer.start();
  svc = await startSessionService({ ...redis.env, SESSION_MAX_MESSAGES: "100" });
});
afterAll(async () => {
  await svc?.stop();
  await redis?.close();
});

const user = (() => {
  let n = 0;
  return () => `user_${++n}`;
})();

describe("session-svc over gRPC", () => {
  it("creates, resumes, gets and finds a session", async () => {
    const userId = user();
    const created = await svc.client.createSession({ userId, clientId: "browser_abc", caseId: "case_xyz", context: { lang: "en" } });
    expect(created.resumed).toBe(false);
    const sessionId = created.session!.sessionId;
    expect(sessionId).toMatch(/^sess_/);
    const resumed = await svc.client.createSession({ userId, clientId: "browser_abc" });
    expect(resumed.resumed).toBe(true);
    expect(resumed.session!.sessionId).toBe(sessionId);
    const got = await svc.client.getSession({ sessionId });
    expect(got.session).toMatchObject({ userId, clientId: "browser_abc", caseId: "case_xyz", context: { lang: "en" } });
    const found = await svc.client.findSessionByClient({ userId, clientId: "browser_abc" });
    expect(found.session!.sessionId).toBe(sessionId);
    expect((await failure(svc.client.findSessionByClient({ userId, clientId: "other" }))).code).toBe(status.NOT_FOUND);
  });

  it("updates with a field mask, appends, touches, lists and deletes", async () => {
    const userId = user();
    const { session } = await svc.client.createSession({ userId, clientId: "c1", context: { a: "1", b: "2" } });
    const sessionId = session!.sessionId;
    const updated = await svc.client.updateSession({
      session: { sessionId, caseId: "case_1", context: { c: "3" } },
      updateMask: { paths: ["case_id", "context.c", "context.a"] },
      returnSession: true,
    });
    expect(updated.session).toMatchObject({ caseId: "case_1", context: { b: "2", c: "3" }, version: 2n });
    expect(updated).toMatchObject({ version: 2n, lastActivity: updated.session!.lastActivity, expiresAt: updated.session!.expiresAt });

    const appended = await svc.client.appendMessage({
      sessionId,
      message: { role: MessageRole.USER, content: "the disk is full", metadata: { source: "chat" } },
    });
    expect(appended.session).toBeUndefined();
    expect(appended).toMatchObject({
      message: { role: MessageRole.USER, content: "the disk is full", metadata: { source: "chat" }, timestamp: appended.lastActivity },
      messageCount: 1n,
      version: 3n,
      trimmedMessages: 0,
    });
    expect(Number(appended.expiresAt!.seconds) - Number(appended.lastActivity!.seconds)).toBe(1800);
    const leanUpdate = await svc.client.updateSession({ session: { sessionId }, setContext: { d: "4" } });
    expect(leanUpdate.session).toBeUndefined();
    expect(leanUpdate.version).toBe(4n);
    const withSession = await svc.client.appendMessage({
      sessionId,
      message: { role: MessageRole.ASSISTANT, content: "on it" },
      returnSession: true,
    });
    expect(withSession.session!.messages.map((m) => m.content)).toEqual(["the disk is full", "on it"]);
    expect(withSession.session!.context).toEqual({ b: "2", c: "3", d: "4" });
    expect(withSession).toMatchObject({ messageCount: 2n, version: 5n });

    const touched = await svc.client.touchSession({ sessionId });
    expect(Number(touched.expiresAt!.seconds) - Number(touched.lastActivity!.seconds)).toBe(1800);

    await svc.client.createSession({ userId, clientId: "c2" });
    const page1 = await svc.client.listSessions({ userId, pageSize: 1 });
    expect(page1.sessions).toHaveLength(1);
    expect(page1.nextPageToken).not.toBe("");
    const page2 = await svc.client.listSessions({ userId, pageSize: 1, pageToken: page1.nextPageToken });
    expect(page2.sessions[0]!.sessionId).toBe(sessionId);
    expect(page2.nextPageToken).toBe("");
    expect((await failure(svc.client.listSessions({ userId: user(), pageToken: page1.nextPageToken }))).fields).toEqual(["page_token"]);

    await svc.client.deleteSession({ sessionId });
    expect((await failure(svc.client.getSession({ sessionId }))).code).toBe(status.NOT_FOUND);
    expect((await failure(svc.client.deleteSession({ sessionId }))).code).toBe(status.NOT_FOUND);
    await svc.client.deleteSession({ sessionId, allowMissing: true });
    expect(await redis.admin.exists(`session:${sessionId}`, `client_session:${userId}:c1`)).toBe(0);
  });

  it("treats context.<key> paths as own keys only (no prototype names)", async () => {
    const { session } = await svc.client.createSession({ userId: user(), clientId: "c", context: { keep: "1" } });
    const sessionId = session!.sessionId;
    const updated = await svc.client.updateSession({
      session: { sessionId },
      updateMask: { paths: ["context.toString", "context.constructor"] },
      returnSession: true,
    });
    expect(updated.session!.context).toEqual({ keep: "1" });
    const result = await failure(svc.client.updateSession({ session: { sessionId }, updateMask: { paths: ["context.__proto__"] } }));
    expect(result.fields).toEqual(["update_mask"]);
  });

  it("keeps all 50 concurrent AppendMessage calls", async () => {
    const { session } = await svc.client.createSession({ userId: user(), clientId: "c" });
    const sessionId = session!.sessionId;
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        svc.client.appendMessage({ sessionId, message: { role: MessageRole.ASSISTANT, content: `message ${i}` } }),
      ),
    );
    const { session: after } = await svc.client.getSession({ sessionId });
    expect(after!.messageCount).toBe(50n);
    expect(new Set(after!.messages.map((m) => m.content)).size).toBe(50);
  });

  it("loses nothing when concurrent UpdateSession calls change different fields", async () => {
    const { session } = await svc.client.createSession({ userId: user(), clientId: "c" });
    const sessionId = session!.sessionId;
    await Promise.all([
      svc.client.updateSession({ session: { sessionId, caseId: "case_race" }, updateMask: { paths: ["case_id"] } }),
      ...Array.from({ length: 30 }, (_, i) =>
        svc.client.updateSession({ session: { sessionId, context: { [`k${i}`]: `v${i}` } }, updateMask: { paths: [`context.k${i}`] } }),
      ),
    ]);
    const { session: after } = await svc.client.getSession({ sessionId });
    expect(after!.caseId).toBe("case_race");
    expect(Object.keys(after!.context).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `k${i}`).sort());
  });

  it("gives the lock to exactly one of 30 concurrent AcquireSessionLock calls", async () => {
    const { session } = await svc.client.createSession({ userId: user(), clientId: "c" });
    const sessionId = session!.sessionId;
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, (_, i) => svc.client.acquireSessionLock({ sessionId, owner: `worker-${i}`, lease: { seconds: 30n } })),
    );
    const winners = results.filter((r) => r.status === "fulfilled");
    expect(winners).toHaveLength(1);
    const refused = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code: number }).code] : []));
    expect(refused).toEqual(Array.from({ length: 29 }, () => status.FAILED_PRECONDITION));
    const lock = (winners[0] as PromiseFulfilledResult<{ lock?: { owner: string; fencingToken: bigint } }>).value.lock!;
    const intruder = await failure(svc.client.releaseSessionLock({ sessionId, owner: "intruder", fencingToken: lock.fencingToken }));
    expect(intruder.code).toBe(status.FAILED_PRECONDITION);
    expect(intruder.reason).toBe("LOCK_NOT_HELD");
    await svc.client.refreshSessionLock({ sessionId, owner: lock.owner, fencingToken: lock.fencingToken, lease: { seconds: 60n } });
    await svc.client.releaseSessionLock({ sessionId, owner: lock.owner, fencingToken: lock.fencingToken });
    const next = await svc.client.acquireSessionLock({ sessionId, owner: "next" });
    expect(next.lock!.fencingToken).toBe(lock.fencingToken + 1n);
  });

  it("keeps session:* and client_session:* TTLs at 30 minutes after create, touch and write", async () => {
    const userId = user();
    const { session } = await svc.client.createSession({ userId, clientId: "ttl" });
    const keys = [`session:${session!.sessionId}`, `client_session:${userId}:ttl`];
    const expectFresh = async () => {
      for (const key of keys) {
        const ttl = await redis.admin.ttl(key);
        expect(ttl).toBeGreaterThanOrEqual(1798);
        expect(ttl).toBeLessThanOrEqual(1800);
      }
    };
    const age = () => Promise.all(keys.map((key) => redis.admin.expire(key, 100)));
    await expectFresh();
    await age();
    await svc.client.touchSession({ sessionId: session!.sessionId });
    await expectFresh();
    await age();
    await svc.client.appendMessage({ sessionId: session!.sessionId, message: { role: MessageRole.USER, content: "x" } });
    await expectFresh();
    await age();
    await svc.client.updateSession({ session: { sessionId: session!.sessionId, caseId: "c" }, updateMask: { paths: ["case_id"] } });
    await expectFresh();
  });

  describe("bad input gets INVALID_ARGUMENT naming the field, and no stray key", () => {
    const hostile = ["", "x:*", "a}{b", "../", "a b", "a".repeat(10_240), "ü", "sess_*"];
    const cases: [string, () => Promise<unknown>, string][] = [];
    for (const bad of hostile) {
      cases.push(
        [`create user_id=${JSON.stringify(bad.slice(0, 12))}`, () => svc.client.createSession({ userId: bad, clientId: "c" }), "user_id"],
        [
          `create client_id=${JSON.stringify(bad.slice(0, 12))}`,
          () => svc.client.createSession({ userId: "u", clientId: bad }),
          "client_id",
        ],
        [`get session_id=${JSON.stringify(bad.slice(0, 12))}`, () => svc.client.getSession({ sessionId: bad }), "session_id"],
        [
          `find user_id=${JSON.stringify(bad.slice(0, 12))}`,
          () => svc.client.findSessionByClient({ userId: bad, clientId: "c" }),
          "user_id",
        ],
        [`list user_id=${JSON.stringify(bad.slice(0, 12))}`, () => svc.client.listSessions({ userId: bad }), "user_id"],
        [
          `append session_id=${JSON.stringify(bad.slice(0, 12))}`,
          () => svc.client.appendMessage({ sessionId: bad, message: { role: MessageRole.USER, content: "x" } }),
          "session_id",
        ],
        [`delete session_id=${JSON.stringify(bad.slice(0, 12))}`, () => svc.client.deleteSession({ sessionId: bad }), "session_id"],
        [
          `lock owner=${JSON.stringify(bad.slice(0, 12))}`,
          () => svc.client.acquireSessionLock({ sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa", owner: bad }),
          "owner",
        ],
      );
    }
    cases.push(
      ["create case_id", () => svc.client.createSession({ userId: "u", clientId: "c", caseId: "case:*" }), "case_id"],
      [
        "create context key",
        () => svc.client.createSession({ userId: "u", clientId: "c", context: { "bad key": "v" } }),
        "context.bad key",
      ],
      [
        "create context value",
        () => svc.client.createSession({ userId: "u", clientId: "c", context: { k: "v".repeat(5000) } }),
        "context.k",
      ],
      ["append without message", () => svc.client.appendMessage({ sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa" }), "message"],
      [
        "append without role",
        () => svc.client.appendMessage({ sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa", message: { content: "x" } }),
        "message.role",
      ],
      [
        "append empty content",
        () => svc.client.appendMessage({ sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa", message: { role: MessageRole.USER } }),
        "message.content",
      ],
      [
        "append oversized content",
        () =>
          svc.client.appendMessage({
            sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa",
            message: { role: MessageRole.USER, content: "x".repeat(40_000) },
          }),
        "message.content",
      ],
      ["update without mask", () => svc.client.updateSession({ session: { sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa" } }), "update_mask"],
      [
        "update unknown path",
        () => svc.client.updateSession({ session: { sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa" }, updateMask: { paths: ["user_id"] } }),
        "update_mask",
      ],
      [
        "update a sub-path of case_id",
        () =>
          svc.client.updateSession({
            session: { sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa", caseId: "c" },
            updateMask: { paths: ["case_id.foo"] },
          }),
        "update_mask",
      ],
      ["update without session", () => svc.client.updateSession({ updateMask: { paths: ["case_id"] } }), "session"],
      [
        "update without session_id",
        () => svc.client.updateSession({ session: { caseId: "c" }, updateMask: { paths: ["case_id"] } }),
        "session.session_id",
      ],
      [
        "update with a bad set_context key",
        () => svc.client.updateSession({ session: { sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa" }, setContext: { "a:b": "v" } }),
        "set_context.a:b",
      ],
      [
        "update removing a prototype name",
        () => svc.client.updateSession({ session: { sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa" }, removeContextKeys: ["__proto__"] }),
        "remove_context_keys[0]",
      ],
      [
        "update setting and removing one key",
        () =>
          svc.client.updateSession({
            session: { sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa" },
            setContext: { k: "v" },
            removeContextKeys: ["k"],
          }),
        "remove_context_keys",
      ],
      [
        "append unknown role",
        () => svc.client.appendMessage({ sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa", message: { role: 9 as MessageRole, content: "x" } }),
        "message.role",
      ],
      [
        "lock lease too short",
        () => svc.client.acquireSessionLock({ sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa", owner: "w", lease: { nanos: 1_000_000 } }),
        "lease",
      ],
      ["list negative page size", () => svc.client.listSessions({ userId: "u", pageSize: -1 }), "page_size"],
      ["list forged page token", () => svc.client.listSessions({ userId: "u", pageToken: "not-a-token" }), "page_token"],
      [
        "lock lease too long",
        () => svc.client.acquireSessionLock({ sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa", owner: "w", lease: { seconds: 100_000n } }),
        "lease",
      ],
      [
        "release without token",
        () => svc.client.releaseSessionLock({ sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa", owner: "w" }),
        "fencing_token",
      ],
    );

    it.each(cases)("%s", async (_, call, field) => {
      const result = await failure(call());
      expect(result.code).toBe(status.INVALID_ARGUMENT);
      expect(result.fields).toEqual([field]);
      expect(result.message).toContain(field);
    });

    it("says what a shared format expects, in the status message", async () => {
      expect((await failure(svc.client.getSession({ sessionId: "sess_*" }))).message).toBe(
        'session_id: is not a session id ("sess_" and 16-64 letters, digits, _ or -)',
      );
      expect((await failure(svc.client.createSession({ userId: "u", clientId: "a..b" }))).message).toBe(
        'client_id: must be 1-128 characters of letters, digits and _ . @ + - (no "..")',
      );
      expect((await failure(svc.client.createSession({ userId: "u", clientId: "c", context: { "bad key": "v" } }))).message).toBe(
        'context.bad key: key: must be 1-64 characters of letters, digits and _ . - (not "__proto__")',
      );
    });

    it("leaves only session-svc keys in Redis", async () => {
      const keys = await redis.admin.keys("*");
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key).toMatch(
          /^(session:sess_[A-Za-z0-9_-]{24}|\{session:sess_[A-Za-z0-9_-]{24}\}:msgs|client_session:[A-Za-z0-9_.@+-]+:[A-Za-z0-9_.@+-]+|session:user_sessions:[A-Za-z0-9_.@+-]+)$/,
        );
      }
    });
  });

  it("serves reflection and the README's grpcurl examples (run with buf curl)", async () => {
    const methods = await listMethods(svc.service.address);
    expect(methods).toContain("faultmaven.session.v1.SessionService/CreateSession");
    expect(methods).toContain("grpc.health.v1.Health/Check");
    const created = await bufCurl(svc.service.address, "/faultmaven.session.v1.SessionService/CreateSession", {
      user_id: "user_def456",
      client_id: "browser_abc",
    });
    expect(created.code).toBe(0);
    const sessionId = (JSON.parse(created.stdout) as { session: { sessionId: string } }).session.sessionId;
    const got = await bufCurl(svc.service.address, "/faultmaven.session.v1.SessionService/GetSession", { session_id: sessionId });
    expect(JSON.parse(got.stdout)).toMatchObject({ session: { sessionId, userId: "user_def456", clientId: "browser_abc" } });
  });

  it("logs each call without request bodies", () => {
    const rpcLines = svc.service.logs.filter((line) => line.msg === "rpc");
    expect(rpcLines.length).toBeGreaterThan(50);
    expect(svc.service.rawOutput.join("\n")).not.toContain("the disk is full");
  });
});

describe("Redis cost of the hot calls", () => {
  /** Commands the service itself sent (not from inside scripts, not the readiness PING) while `work` ran. */
  async function commandsDuring(work: () => Promise<unknown>): Promise<string[]> {
    const monitor = await redis.admin.monitor();
    const seen: string[] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua" && args[0]?.toUpperCase() !== "PING") seen.push(args[0]!.toUpperCase());
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await work();
    await new Promise((resolve) => setTimeout(resolve, 50));
    monitor.disconnect();
    return seen;
  }

  it("get, find by client, touch, append and update are one round trip each", async () => {
    const { session } = await svc.client.createSession({ userId: user(), clientId: "cost" });
    const sessionId = session!.sessionId;
    // Warm the script cache so EVALSHA does not need its one-time EVAL fallback.
    await svc.client.touchSession({ sessionId });
    await svc.client.getSession({ sessionId });
    await svc.client.findSessionByClient({ userId: session!.userId, clientId: "cost" });
    await svc.client.appendMessage({ sessionId, message: { role: MessageRole.USER, content: "warm" } });
    await svc.client.updateSession({ session: { sessionId, caseId: "c" }, updateMask: { paths: ["case_id"] } });

    // GetSession reads the hash and the message list in one read script.
    expect(await commandsDuring(() => svc.client.getSession({ sessionId }))).toEqual(["EVALSHA"]);
    // The process has seen the pair's session: one read script checks the client index still names it and reads it.
    expect(await commandsDuring(() => svc.client.findSessionByClient({ userId: session!.userId, clientId: "cost" }))).toEqual(["EVALSHA"]);
    expect(await commandsDuring(() => svc.client.touchSession({ sessionId }))).toEqual(["EVALSHA"]);
    expect(await commandsDuring(() => svc.client.appendMessage({ sessionId, message: { role: MessageRole.USER, content: "x" } }))).toEqual([
      "EVALSHA",
    ]);
    expect(
      await commandsDuring(() =>
        svc.client.updateSession({ session: { sessionId, context: { k: "v" } }, updateMask: { paths: ["context.k"] } }),
      ),
    ).toEqual(["EVALSHA"]);
  });
});
