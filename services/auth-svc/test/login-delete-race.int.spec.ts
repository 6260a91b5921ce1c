import { memoryThrottle } from "./throttle-harness.js";
import { EnvReader } from "@faultmaven/config";
import { UnauthenticatedError } from "@faultmaven/errors";
import { createRedisClient, readRedisConfig, type RedisClient, scanKeys } from "@faultmaven/redis";
import { redisTopologies } from "@faultmaven/test-kit";
import { Accounts } from "../src/domain/accounts.js";
import { HashingSlots } from "../src/domain/hashing-slots.js";
import { Passwords } from "../src/domain/passwords.js";
import { RedisAuthStore } from "../src/redis/redis-auth-store.js";

/** argon2's smallest memory cost: the race is about Redis, not about hashing time. */
/** A queue for all 200 racing logins at once: this test is about the race, not the hashing limit. */
const passwords = new Passwords(
  { minLength: 10, maxLength: 128, memoryKiB: 1024, iterations: 2 },
  new HashingSlots({ concurrency: 2, queue: 1000, accountQueue: 4 }),
);
const PASSWORD = "the racing password";
const RACES = 200;

const redis = redisTopologies();

async function keysMatching(client: RedisClient, match: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of scanKeys(client, match)) keys.push(key);
  return keys;
}

/** Every token key, token metadata and token list that names one of `userIds`. */
async function tokenKeysOf(client: RedisClient, userIds: ReadonlySet<string>): Promise<string[]> {
  const found: string[] = [];
  for (const key of await keysMatching(client, "auth:token:*")) {
    if (userIds.has((await client.get(key)) ?? "")) found.push(key);
  }
  for (const key of await keysMatching(client, "auth:token_meta:*")) {
    if (userIds.has((await client.hget(key, "user_id")) ?? "")) found.push(key);
  }
  for (const key of await keysMatching(client, "auth:user_tokens:*")) {
    if (userIds.has(key.slice("auth:user_tokens:".length))) found.push(key);
  }
  return found;
}

describe.each([
  ["standalone Redis", () => redis.standalone.env],
  ["Redis Cluster", () => redis.cluster.env],
])("Login racing DeleteUser on %s", (_, env) => {
  it(`answers each of ${RACES} racing logins OK or UNAUTHENTICATED and leaves no token of the deleted users`, async () => {
    const config = readRedisConfig(new EnvReader(env()));
    const client = createRedisClient(config, "login-delete-race");
    await client.connect();
    try {
      const store = new RedisAuthStore(client, config.mode);
      const accounts = new Accounts(store, passwords, 86_400_000, memoryThrottle());
      const passwordHash = await passwords.hash(PASSWORD);
      const users = await Promise.all(
        Array.from({ length: RACES }, (_, i) =>
          store.createUser({ username: `racer_${i}`, email: `racer_${i}@example.com`, displayName: "", roles: [], passwordHash }),
        ),
      );
      const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 6));
      const outcomes = await Promise.all(
        users.map(async (user) => {
          const [login, deleted] = await Promise.all([
            pause().then(() =>
              accounts.login({ username: user.username }, PASSWORD).then(
                (reply) => reply,
                (error: unknown) => error,
              ),
            ),
            pause().then(() => accounts.deleteUser(user.userId)),
          ]);
          return { login, deleted };
        }),
      );
      const answers = outcomes.map(({ login }) =>
        login instanceof UnauthenticatedError ? "UNAUTHENTICATED" : login instanceof Error ? login : "OK",
      );
      expect(answers.filter((answer) => answer !== "OK" && answer !== "UNAUTHENTICATED")).toEqual([]);
      expect(outcomes.every(({ deleted }) => typeof deleted === "number")).toBe(true);
      expect(await tokenKeysOf(client, new Set(users.map((user) => user.userId)))).toEqual([]);
    } finally {
      client.disconnect();
    }
  }, 120_000);
});
