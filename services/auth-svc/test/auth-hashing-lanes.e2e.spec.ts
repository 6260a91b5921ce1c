import { status } from "@grpc/grpc-js";
import { metricValue, serviceOnFreshRedis } from "@faultmaven/test-kit";
import { failure, startAuthService } from "./auth-harness.js";

/** The account hashing lane as callers see it: a real process on a real Redis, over gRPC, under a login flood. */
const QUEUE = 60;
const FLOOD = 100;
let svc: Awaited<ReturnType<typeof startAuthService>>;

serviceOnFreshRedis(
  (redis) =>
    startAuthService({
      ...redis.env,
      AUTH_PASSWORD_HASH_CONCURRENCY: "1",
      AUTH_PASSWORD_HASH_QUEUE: String(QUEUE),
      // Throttling stays out of this test: every flood login reaches the hashing queue.
      AUTH_LOGIN_ACCOUNT_THRESHOLD: "1000",
      AUTH_LOGIN_SOURCE_THRESHOLD: "10000",
    }),
  (started) => ({ svc } = started),
);

const waitFor = async (what: string, check: () => Promise<boolean>) => {
  for (const until = Date.now() + 20_000; Date.now() < until; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe("auth-svc hashing lanes under a login flood", () => {
  it("answers CreateUser and ChangePassword while the login queue is full and logins are still queued, never PASSWORD_HASHING_BUSY", async () => {
    const password = "the first password";
    const { user } = await svc.client.createUser({ username: "owner", email: "owner@example.com", password, roles: [] });

    const floods = Array.from({ length: FLOOD }, (_, i) =>
      failure(svc.client.login({ identifier: { case: "username", value: "owner" }, password: `wrong password ${i}` })),
    );
    await waitFor(
      "the login queue to fill",
      async () => (await metricValue(svc.service.metricsPort, "password_hash_queue", { lane: "login" })) === QUEUE,
    );

    const [created, changed] = await Promise.all([
      svc.client.createUser({ username: "newcomer", email: "newcomer@example.com", password: "a newcomer's password", roles: [] }),
      svc.client.changePassword({ userId: user!.userId, currentPassword: password, newPassword: "the second password" }),
    ]);
    const loginsStillQueued = await metricValue(svc.service.metricsPort, "password_hash_queue", { lane: "login" });

    expect(created.user?.username).toBe("newcomer");
    expect(changed.revokedCount).toBe(0);
    expect(loginsStillQueued).toBeGreaterThan(0);
    const codes = await Promise.all(floods);
    // The flood overflowed the login queue: what did not fit was refused at once.
    const busy = codes.filter((c) => c.code === status.RESOURCE_EXHAUSTED && "reason" in c && c.reason === "PASSWORD_HASHING_BUSY");
    expect(busy.length).toBeGreaterThan(0);
    expect(codes.filter((c) => c.code !== status.UNAUTHENTICATED && c.code !== status.RESOURCE_EXHAUSTED)).toEqual([]);
    // The new password is the one in force.
    const { token } = await svc.client.login({ identifier: { case: "username", value: "owner" }, password: "the second password" });
    expect(token).not.toBe("");
  }, 60_000);
});
