import { status } from "@grpc/grpc-js";
import { SentinelTopology } from "@faultmaven/test-kit";
import { USER_FIELDS } from "../src/redis/user-fields.js";
import { failure, startAuthService } from "./auth-harness.js";

/**
 * REDIS_WAIT_REPLICAS on a real master + replica + three Sentinels: a
 * must-not-lose write answers only once a replica has it.
 */
describe("auth-svc with REDIS_WAIT_REPLICAS=1", () => {
  let topology: SentinelTopology;
  let svc: Awaited<ReturnType<typeof startAuthService>>;

  beforeAll(async () => {
    topology = await SentinelTopology.start();
    svc = await startAuthService({
      ...topology.env,
      REDIS_WAIT_REPLICAS: "1",
      REDIS_WAIT_TIMEOUT_MS: "300",
      METRICS_KEYSPACE_INTERVAL_SECONDS: "86400",
    });
  }, 60_000);
  afterAll(async () => {
    await svc?.stop();
    await topology?.close();
  });

  it("answers CreateUser once the replica has the user", async () => {
    const { user } = await svc.client.createUser({ username: "replicated", email: "replicated@example.com", password: "a good password" });
    expect(await topology.replica.admin.hget(`auth:user:${user!.userId}`, USER_FIELDS.username)).toBe("replicated");
  });

  it("with the replica frozen: UNAVAILABLE NOT_REPLICATED after the timeout, the user on the master; a retry with the key once it thaws answers the same user", async () => {
    const request = {
      username: "unconfirmed",
      email: "unconfirmed@example.com",
      password: "a good password",
      idempotencyKey: "create-unconfirmed",
    };
    topology.replica.pause();
    let thawed = false;
    try {
      const started = Date.now();
      const result = await failure(svc.client.createUser(request));
      const elapsed = Date.now() - started;
      expect(result.code).toBe(status.UNAVAILABLE);
      expect(result.reason).toBe("NOT_REPLICATED");
      expect(elapsed).toBeGreaterThanOrEqual(300);
      const userId = await topology.master.admin.get("auth:username:unconfirmed");
      expect(userId).toMatch(/^usr_/);

      topology.replica.resume();
      thawed = true;
      const { user } = await svc.client.createUser(request);
      expect(user!.userId).toBe(userId);
      expect(await topology.replica.admin.hget(`auth:user:${userId}`, USER_FIELDS.username)).toBe("unconfirmed");
    } finally {
      if (!thawed) topology.replica.resume();
    }
  });

  it("with the replica frozen, ChangePassword, RevokeToken, RevokeUserTokens and DeleteUser each answer UNAVAILABLE NOT_REPLICATED; Login (not on the list) answers OK", async () => {
    const password = "a good password";
    const { user } = await svc.client.createUser({ username: "listed", email: "listed@example.com", password });
    const userId = user!.userId;
    const login = () => svc.client.login({ identifier: { case: "username", value: "listed" }, password: "a newer password" });
    await svc.client.login({ identifier: { case: "username", value: "listed" }, password });
    topology.replica.pause();
    try {
      const reasons = [
        await failure(svc.client.changePassword({ userId, currentPassword: password, newPassword: "a newer password" })),
        await failure(svc.client.revokeToken({ target: { case: "token", value: (await login()).token } })),
        await failure(svc.client.revokeUserTokens({ userId })),
        await failure(svc.client.deleteUser({ userId })),
      ].map((result) => `${status[result.code]}/${result.reason}`);
      expect(reasons).toEqual(Array(4).fill("UNAVAILABLE/NOT_REPLICATED"));
    } finally {
      topology.replica.resume();
    }
  });
});
