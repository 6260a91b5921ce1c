import { EnvReader } from "@faultmaven/config";
import { createRedisClient, readRedisConfig, type RedisClient, scanKeys } from "@faultmaven/redis";
import { redisTopologies } from "@faultmaven/test-kit";
import { EmailChangeInProgressError, UserNotFoundError } from "../src/domain/errors.js";
import { RedisAuthStore } from "../src/redis/redis-auth-store.js";

const HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
const ROUNDS = 5;
const CHANGES = 20;

const redis = redisTopologies();

/** Spreads the concurrent calls so that their steps interleave in many orders. */
const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 8));

/** Every `auth:email:*` key that names `userId`, on every master. */
async function emailClaimsOf(client: RedisClient, userId: string): Promise<string[]> {
  const claims: string[] = [];
  for await (const key of scanKeys(client, "auth:email:*")) if ((await client.get(key)) === userId) claims.push(key);
  return claims.sort();
}

describe.each([
  ["standalone Redis", () => redis.standalone.env],
  ["Redis Cluster", () => redis.cluster.env],
])("e-mail claims on %s", (_, env) => {
  it(`after each of ${ROUNDS} rounds of ${CHANGES} concurrent e-mail changes of one user, its only claim is its current e-mail; after DeleteUser none`, async () => {
    const config = readRedisConfig(new EnvReader(env()));
    const client = createRedisClient(config, "email-claims");
    await client.connect();
    try {
      const store = new RedisAuthStore(client, config.mode);
      const user = await store.createUser({
        username: "mover",
        email: "mover@example.com",
        displayName: "",
        roles: [],
        passwordHash: HASH,
      });
      for (let round = 0; round < ROUNDS; round++) {
        const answers = await Promise.all(
          Array.from({ length: CHANGES }, (_, i) =>
            pause()
              .then(() => store.updateUser(user.userId, { email: `mover_${round}_${i}@example.com` }))
              .then(
                (updated) => updated.email,
                (error: unknown) => error,
              ),
          ),
        );
        expect(answers.filter((answer) => typeof answer !== "string" && !(answer instanceof EmailChangeInProgressError))).toEqual([]);
        const current = (await store.getUser(user.userId))!.email;
        expect(await emailClaimsOf(client, user.userId)).toEqual([`auth:email:${current}`]);
        expect((await store.findByEmail(current))?.userId).toBe(user.userId);
      }
      // A change in flight while the user is deleted must not leave its claim either.
      const inFlight = store.updateUser(user.userId, { email: "last_move@example.com" }).catch((error: unknown) => error);
      expect(await store.deleteUser(user.userId)).toBe(0);
      const moved = await inFlight;
      expect(moved instanceof UserNotFoundError || (moved as { email?: string }).email === "last_move@example.com").toBe(true);
      expect(await emailClaimsOf(client, user.userId)).toEqual([]);
    } finally {
      client.disconnect();
    }
  }, 60_000);
});
