import { AuthService } from "@faultmaven/contract/auth";
import { replicasOnFreshRedis, roundRobinClient, steadyLoad, rollingRestartUnderLoad } from "@faultmaven/test-kit";
import { ENTRY } from "./auth-harness.js";

describe("auth-svc rolling restart of two replicas under load (real processes, one real Redis)", () => {
  const replicaSet = replicasOnFreshRedis(ENTRY);

  it("restarts each replica in turn under GetUser, UpdateUser and ValidateToken (not retried by the config) load: 0 failed calls, both replicas serve before and after", async () => {
    const { first, start } = await replicaSet.onOwnPorts(2);
    const client = roundRobinClient(AuthService, first);
    const users = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const password = `rolling password ${i}`;
        const { user } = await client.createUser({
          username: `rolling${i}`,
          email: `rolling${i}@example.com`,
          password,
          displayName: `R ${i}`,
        });
        const { token } = await client.login({ identifier: { case: "username", value: `rolling${i}` }, password });
        return { userId: user!.userId, token };
      }),
    );
    const began = Date.now();
    // UpdateUser goes without a key: the client fills one, so its retries are safe.
    const load = steadyLoad((n) => {
      const { userId, token } = users[n % users.length]!;
      return {
        GetUser: client.getUser({ userId }),
        ValidateToken: client.validateToken({ token }),
        ...(n % 4 === 0
          ? { UpdateUser: client.updateUser({ user: { userId, displayName: `R ${n}` }, updateMask: { paths: ["display_name"] } }) }
          : {}),
      };
    });
    const run = await rollingRestartUnderLoad("auth-svc", first, start, load, began);
    client.close();
    expect(run.failures).toEqual([]);
    expect(run.exitCodes).toEqual([0, 0]);
    expect(run.before.every((count) => count >= 50)).toBe(true);
    expect(run.after.every((count) => count >= 50)).toBe(true);
  }, 120_000);
});
