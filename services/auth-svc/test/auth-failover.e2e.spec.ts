import { status } from "@grpc/grpc-js";
import { freePort, RedisServer, ServiceProcess, waitFor } from "@faultmaven/test-kit";
import { ENTRY, failure, startAuthService } from "./auth-harness.js";

describe("auth-svc when Redis goes away and comes back", () => {
  it("answers UNAVAILABLE fast, turns NOT_SERVING, and recovers by itself", async () => {
    const redis = await RedisServer.start();
    const svc = await startAuthService(redis.env);
    try {
      await svc.client.createUser({ username: "before", email: "before@example.com", password: "a good password" });
      await redis.stop();
      const started = Date.now();
      const result = await failure(svc.client.getUser({ userId: "usr_aaaaaaaaaaaaaaaaaaaaaa" }, { timeoutMs: 2000 }));
      expect(result.code).toBe(status.UNAVAILABLE);
      expect(Date.now() - started).toBeLessThan(2000);
      const login = await failure(
        svc.client.login({ identifier: { case: "username", value: "before" }, password: "a good password" }, { timeoutMs: 2000 }),
      );
      expect(login.code).toBe(status.UNAVAILABLE);
      await waitFor("NOT_SERVING", async () => !(await svc.serving()), 5000);
      await redis.start();
      await waitFor("SERVING again", () => svc.serving(), 10_000);
      await svc.client.createUser({ username: "after", email: "after@example.com", password: "a good password" });
    } finally {
      await svc.stop();
      await redis.close();
    }
  });
});

describe("auth-svc start-up without Redis", () => {
  it("production: exits non-zero with a clear message", async () => {
    const port = await freePort();
    const result = await ServiceProcess.runToExit(ENTRY, {
      ENVIRONMENT: "production",
      AUTHZ_ALLOW_ALL_CALLERS: "true",
      REDIS_HOST: "127.0.0.1",
      REDIS_PORT: String(port),
      REDIS_CONNECT_TIMEOUT_MS: "500",
    });
    expect(result.code).toBe(1);
    expect(result.output).toContain("ENVIRONMENT=production requires Redis");
  });

  it("development: in-memory store with a warning, fully working", async () => {
    const port = await freePort();
    const svc = await startAuthService({ REDIS_HOST: "127.0.0.1", REDIS_PORT: String(port), REDIS_CONNECT_TIMEOUT_MS: "500" });
    try {
      expect(svc.service.logs.some((l) => l.level === 40 && l.msg?.includes("in-memory store"))).toBe(true);
      await svc.client.createUser({ username: "dev", email: "dev@example.com", password: "a good password" });
      const { token } = await svc.client.login({ identifier: { case: "email", value: "DEV@example.com" }, password: "a good password" });
      expect((await svc.client.validateToken({ token })).roles).toEqual([]);
    } finally {
      expect(await svc.stop()).toBe(0);
    }
  });

  it.each([
    [{ ENVIRONMENT: "production", AUTH_STORAGE_TYPE: "inmemory" }, "AUTH_STORAGE_TYPE"],
    [{ AUTH_ARGON2_MEMORY_KIB: "1024" }, "AUTH_ARGON2_MEMORY_KIB"],
    [{ AUTH_PASSWORD_MIN_LENGTH: "4" }, "AUTH_PASSWORD_MIN_LENGTH"],
    [{ AUTH_TOKEN_TTL_SECONDS: "forever" }, "AUTH_TOKEN_TTL_SECONDS"],
  ])("bad configuration %j stops the start naming %s", async (env, variable) => {
    const result = await ServiceProcess.runToExit(ENTRY, env as Record<string, string>);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`start failed: ${variable}:`);
  });
});
