import { RedisSentinel } from "@faultmaven/test-kit";
import { startAuthService } from "./auth-harness.js";

/** The Sentinel form of the Redis configuration, end to end. */
it("finds its Redis through Sentinel (REDIS_SENTINELS) and keeps the one-script token validation", async () => {
  const sentinel = await RedisSentinel.start();
  const svc = await startAuthService(sentinel.env);
  try {
    const password = "through the sentinel";
    const { user } = await svc.client.createUser({ username: "sentinel_user", email: "sentinel@example.com", password });
    const { token } = await svc.client.login({ identifier: { case: "username", value: "sentinel_user" }, password });
    expect((await svc.client.validateToken({ token })).userId).toBe(user!.userId);
    expect(await sentinel.master.admin.get("auth:username:sentinel_user")).toBe(user!.userId);
    expect(await svc.serving()).toBe(true);
  } finally {
    await svc.stop();
    await sentinel.close();
  }
});
