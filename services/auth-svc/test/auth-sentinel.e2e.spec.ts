import { RedisSentinel } from "@faultmaven/test-kit";
import { startAuthService } from "./auth-harness.js";

/** The Sentinel form of the Redis configuration, end to end. */
it("finds its Redis through Sentinel (REDIS_SENTINELS) and validates a token with one script call on the master", async () => {
  const sentinel = await RedisSentinel.start();
  // The keyspace sampler (SCAN auth:*) runs once at start and then not again during this test.
  const svc = await startAuthService({ ...sentinel.env, METRICS_KEYSPACE_INTERVAL_SECONDS: "86400" });
  try {
    const password = "through the sentinel";
    const { user } = await svc.client.createUser({ username: "sentinel_user", email: "sentinel@example.com", password });
    const { token } = await svc.client.login({ identifier: { case: "username", value: "sentinel_user" }, password });
    expect(await sentinel.master.admin.get("auth:username:sentinel_user")).toBe(user!.userId);
    expect(await svc.serving()).toBe(true);
    await svc.client.validateToken({ token }); // warm the script cache

    // What the master sees during one ValidateToken. Sentinel's own traffic (PING, INFO, PUBLISH) touches no auth key.
    const monitor = await sentinel.master.admin.monitor();
    const sent: string[] = [];
    const inScript: string[] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      const command = args[0]!.toUpperCase();
      if (source === "lua") inScript.push(`${command} ${args[1]}`);
      else if (command.startsWith("EVAL") || args.some((arg) => arg.startsWith("auth:"))) sent.push(command);
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await svc.client.validateToken({ token })).userId).toBe(user!.userId);
    await new Promise((resolve) => setTimeout(resolve, 50));
    monitor.disconnect();

    expect(sent).toEqual(["EVALSHA"]);
    // The one script did the validation: it read the token's hash and its user.
    expect(inScript.some((c) => c.includes(" auth:token_meta:"))).toBe(true);
    expect(inScript.some((c) => c.includes(` auth:user:${user!.userId}`))).toBe(true);
  } finally {
    await svc.stop();
    await sentinel.close();
  }
});
