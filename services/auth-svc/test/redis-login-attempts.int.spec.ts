import { runInCallScope } from "@faultmaven/call-scope";
import { EnvReader } from "@faultmaven/config";
import { UnauthenticatedError, UnavailableError } from "@faultmaven/errors";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";
import { RedisServer, redisTopologies } from "@faultmaven/test-kit";
import { Accounts } from "../src/domain/accounts.js";
import { LoginThrottledError } from "../src/domain/errors.js";
import { HashingSlots } from "../src/domain/hashing-slots.js";
import { DEFAULT_LOGIN_THROTTLE_POLICY } from "../src/domain/login-throttle-policy.js";
import { LoginThrottle } from "../src/domain/login-throttle.js";
import { Passwords } from "../src/domain/passwords.js";
import { RedisAuthStore } from "../src/redis/redis-auth-store.js";
import { RedisLoginAttempts } from "../src/redis/redis-login-attempts.js";
import { loginAttemptsContract } from "./login-attempts-contract.js";

const redis = redisTopologies();

async function connect(env: Record<string, string>) {
  const config = readRedisConfig(new EnvReader(env));
  const client = createRedisClient(config, "login-attempts-test");
  await client.connect();
  return { client, config };
}

/** The counters close nothing (they share the store's client): the contract's close() must still free the connection. */
async function attemptsOn(env: Record<string, string>) {
  const { client } = await connect(env);
  const attempts = new RedisLoginAttempts(client);
  return Object.assign(attempts, { close: async () => client.disconnect() });
}

loginAttemptsContract("RedisLoginAttempts", () => attemptsOn(redis.standalone.env));
loginAttemptsContract("RedisLoginAttempts on Redis Cluster", () => attemptsOn(redis.cluster.env));

describe("Login throttling on Redis", () => {
  /** Cheap argon2: the race is about counting, not hashing time. */
  const policy = { minLength: 10, maxLength: 128, memoryKiB: 1024, iterations: 2 };
  const throttling = { ...DEFAULT_LOGIN_THROTTLE_POLICY, accountThreshold: 5, baseDelayMs: 60_000 };
  const asCallFrom = <T>(source: string, work: () => Promise<T>) =>
    runInCallScope({ deadline: undefined, signal: new AbortController().signal, caller: { identity: undefined, source } }, work);

  it("runs argon2 for exactly `threshold` of 50 concurrent wrong logins; the rest are refused LOGIN_THROTTLED", async () => {
    const { client, config } = await connect(redis.standalone.env);
    try {
      let runs = 0;
      const passwords = new Passwords(policy, new HashingSlots({ concurrency: 2, queue: 100, accountQueue: 4 }, () => runs++));
      const store = new RedisAuthStore(client, config.mode);
      const accounts = new Accounts(store, passwords, 60_000, new LoginThrottle(new RedisLoginAttempts(client), throttling));
      await accounts.createUser({
        username: "race_target",
        email: "race@example.com",
        password: "the right password",
        displayName: "",
        roles: [],
      });
      runs = 0;
      const outcomes = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          asCallFrom(`ipv4:10.0.${i}.1:4000`, () => accounts.login({ username: "race_target" }, "wrong password!")),
        ),
      );
      const reasons = outcomes.map((o) => (o.status === "rejected" ? o.reason : o.value));
      expect(reasons.filter((r) => r instanceof UnauthenticatedError)).toHaveLength(5);
      expect(reasons.filter((r) => r instanceof LoginThrottledError)).toHaveLength(45);
      expect(runs).toBe(5);
      // The right password too waits for the lock: a guess that happens to be right gains nothing.
      await expect(
        asCallFrom("ipv4:10.9.9.9:1", () => accounts.login({ username: "race_target" }, "the right password")),
      ).rejects.toBeInstanceOf(LoginThrottledError);
      expect(runs).toBe(5);
    } finally {
      client.disconnect();
    }
  });

  it("throttles a source that fails across many accounts, and a success from it takes its own count back", async () => {
    const { client, config } = await connect(redis.standalone.env);
    try {
      const passwords = new Passwords(policy);
      const store = new RedisAuthStore(client, config.mode);
      const accounts = new Accounts(
        store,
        passwords,
        60_000,
        new LoginThrottle(new RedisLoginAttempts(client), { ...throttling, sourceThreshold: 4 }),
      );
      await accounts.createUser({
        username: "src_user",
        email: "src@example.com",
        password: "the right password",
        displayName: "",
        roles: [],
      });
      const from = (source: string, username: string, password = "wrong password!") =>
        asCallFrom(source, () => accounts.login({ username }, password));
      // A success counts nothing against its source: 3 failures after it still leave room for a 4th.
      await expect(from("ipv4:192.0.2.1:1000", "src_user", "the right password")).resolves.toHaveProperty("token");
      for (let i = 0; i < 4; i++)
        await expect(from(`ipv4:192.0.2.1:${2000 + i}`, `nobody_${i}`)).rejects.toBeInstanceOf(UnauthenticatedError);
      // Another port of the same address is the same source; another address is not.
      await expect(from("ipv4:192.0.2.1:3000", "nobody_new")).rejects.toBeInstanceOf(LoginThrottledError);
      await expect(from("ipv4:192.0.2.1:3001", "src_user", "the right password")).rejects.toBeInstanceOf(LoginThrottledError);
      await expect(from("ipv4:192.0.2.2:3000", "src_user", "the right password")).resolves.toHaveProperty("token");
      // The refusals of fresh names counted nothing against those names.
      expect(await redis.standalone.admin.exists("auth:login_failures:username:nobody_new")).toBe(0);
    } finally {
      client.disconnect();
    }
  });

  it("answers UNAVAILABLE, not a way around the throttle, when the counters cannot be reached", async () => {
    const down = await RedisServer.start();
    const { client, config } = await connect({ ...down.env, REDIS_COMMAND_TIMEOUT_MS: "300" });
    try {
      let runs = 0;
      const passwords = new Passwords(policy, new HashingSlots({ concurrency: 2, queue: 100, accountQueue: 4 }, () => runs++));
      const accounts = new Accounts(
        new RedisAuthStore(client, config.mode),
        passwords,
        60_000,
        new LoginThrottle(new RedisLoginAttempts(client), throttling),
      );
      await down.stop();
      await expect(asCallFrom("ipv4:10.1.1.1:1", () => accounts.login({ username: "anyone" }, "some password"))).rejects.toBeInstanceOf(
        UnavailableError,
      );
      expect(runs).toBe(0);
    } finally {
      client.disconnect();
      await down.close();
    }
  });
});
