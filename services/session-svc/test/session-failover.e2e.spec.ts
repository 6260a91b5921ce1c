import { status } from "@grpc/grpc-js";
import { freePort, RedisServer, ServiceProcess, serviceOnFreshRedis, waitFor } from "@faultmaven/test-kit";
import { ENTRY, failure, startSessionService } from "./service-harness.js";

describe("session-svc when Redis goes away and comes back", () => {
  let redis: RedisServer;
  let svc: Awaited<ReturnType<typeof startSessionService>>;

  serviceOnFreshRedis(
    (fresh) => startSessionService(fresh.env),
    (started) => ({ redis, svc } = started),
  );

  it("answers UNAVAILABLE within the deadline, turns NOT_SERVING, and recovers by itself", async () => {
    const { session } = await svc.client.createSession({ userId: "u", clientId: "c" });
    expect(await svc.serving()).toBe(true);

    await redis.stop();
    for (const call of [
      () => svc.client.getSession({ sessionId: session!.sessionId }, { timeoutMs: 2000 }),
      () => svc.client.createSession({ userId: "u2", clientId: "c" }, { timeoutMs: 2000 }),
      () => svc.client.touchSession({ sessionId: session!.sessionId }, { timeoutMs: 2000 }),
    ]) {
      const started = Date.now();
      const result = await failure(call());
      expect(result.code).toBe(status.UNAVAILABLE);
      expect(result.reason).toBe("STORE_UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(2000);
    }
    await waitFor("health NOT_SERVING", async () => !(await svc.serving()), 5000);

    await redis.start();
    await waitFor("health SERVING again", () => svc.serving(), 10_000);
    // The restarted Redis kept nothing (no persistence in tests); the service works again.
    const again = await svc.client.createSession({ userId: "u", clientId: "c" });
    expect(again.resumed).toBe(false);
    expect((await svc.client.getSession({ sessionId: again.session!.sessionId })).session!.userId).toBe("u");
    expect(svc.service.logs.some((l) => l.msg?.includes("redis is unreachable"))).toBe(true);
    expect(svc.service.logs.some((l) => l.msg === "redis is back: serving")).toBe(true);
  });
});

describe("session-svc when Redis hangs (accepts nothing, answers nothing)", () => {
  it("answers UNAVAILABLE before the deadline instead of hanging, then recovers without the failed append taking effect", async () => {
    const redis = await RedisServer.start();
    const svc = await startSessionService({ ...redis.env, REDIS_COMMAND_TIMEOUT_MS: "500" });
    try {
      const { session } = await svc.client.createSession({ userId: "u", clientId: "c" });
      redis.pause();
      const started = Date.now();
      const result = await failure(
        svc.client.appendMessage({ sessionId: session!.sessionId, message: { role: 1, content: "x" } }, { timeoutMs: 2000 }),
      );
      expect(result.code).toBe(status.UNAVAILABLE);
      // Sent, and no answer: the service cannot know yet whether it ran, and says so.
      expect(result.reason).toBe("OUTCOME_UNKNOWN");
      expect(Date.now() - started).toBeLessThan(1500);
      await waitFor("health NOT_SERVING", async () => !(await svc.serving()), 5000);
      redis.resume();
      await waitFor("health SERVING again", () => svc.serving(), 10_000);
      // The append held up in the frozen server's socket ran late and did nothing: the UNAVAILABLE is true.
      const after = (await svc.client.getSession({ sessionId: session!.sessionId })).session!;
      expect(after.sessionId).toBe(session!.sessionId);
      expect(after.messages).toEqual([]);
    } finally {
      await svc.stop();
      await redis.close();
    }
  });
});

describe("session-svc start-up without Redis", () => {
  let deadPort: number;
  beforeAll(async () => {
    deadPort = await freePort();
  });

  it("production: exits non-zero with a clear message", async () => {
    const result = await ServiceProcess.runToExit(ENTRY, {
      ENVIRONMENT: "production",
      AUTHZ_ALLOW_ALL_CALLERS: "true",
      REDIS_HOST: "127.0.0.1",
      REDIS_PORT: String(deadPort),
      REDIS_CONNECT_TIMEOUT_MS: "500",
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain(`Redis is unreachable at 127.0.0.1:${deadPort}`);
    expect(result.output).toContain("ENVIRONMENT=production requires Redis");
  });

  it("development: falls back to the in-memory store with a warning", async () => {
    const svc = await startSessionService({ REDIS_HOST: "127.0.0.1", REDIS_PORT: String(deadPort), REDIS_CONNECT_TIMEOUT_MS: "500" });
    try {
      const warning = svc.service.logs.find((l) => l.level === 40 && l.msg?.includes("in-memory store"));
      expect(warning).toBeDefined();
      const { session } = await svc.client.createSession({ userId: "u", clientId: "c" });
      expect((await svc.client.getSession({ sessionId: session!.sessionId })).session!.sessionId).toBe(session!.sessionId);
      expect(await svc.serving()).toBe(true);
    } finally {
      expect(await svc.stop()).toBe(0);
    }
  });

  it.each([
    [{ ENVIRONMENT: "production", SESSION_STORAGE_TYPE: "inmemory" }, "SESSION_STORAGE_TYPE"],
    [{ SESSION_STORAGE_TYPE: "postgres" }, "SESSION_STORAGE_TYPE"],
    [{ SESSION_IDLE_TTL_SECONDS: "soon" }, "SESSION_IDLE_TTL_SECONDS"],
    [{ ENVIRONMENT: "staging" }, "ENVIRONMENT"],
    [{ REDIS_PORT: "99999" }, "REDIS_PORT"],
    [{ REDIS_URL: "http://localhost" }, "REDIS_URL"],
    [{ GRPC_PORT: "x" }, "GRPC_PORT"],
    [{ GRPC_TLS_CERT_FILE: "/nonexistent.pem" }, "GRPC_TLS_CERT_FILE"],
  ])("bad configuration %j stops the start naming %s", async (env, variable) => {
    const result = await ServiceProcess.runToExit(ENTRY, env as Record<string, string>);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`start failed: ${variable}:`);
  });
});

describe("session-svc shutdown", () => {
  it("drains and exits 0 on SIGTERM", async () => {
    const redis = await RedisServer.start();
    try {
      const svc = await startSessionService(redis.env);
      await svc.client.createSession({ userId: "u", clientId: "c" });
      expect(await svc.stop()).toBe(0);
      expect(svc.service.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(["shutting down", "stopped"]));
    } finally {
      await redis.close();
    }
  });
});
