import { EnvReader } from "@faultmaven/config";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";
import { RedisCluster, RedisServer, withServiceClockADayBehind } from "@faultmaven/test-kit";
import { MAX_LIVE_TOKENS_PER_USER, mintToken } from "../src/domain/token.js";
import { RedisAuthStore } from "../src/redis/redis-auth-store.js";
import { authStoreContract } from "./auth-store-contract.js";
import { authStoreIdempotencyContract } from "./auth-store-idempotency-contract.js";

const HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
let redis: RedisServer;
let cluster: RedisCluster;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([RedisServer.start(), RedisCluster.start()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([redis?.close(), cluster?.close()]);
});

async function open(env: Record<string, string>) {
  const config = readRedisConfig(new EnvReader(env));
  const client = createRedisClient(config, "auth-store-test");
  await client.connect();
  return { store: new RedisAuthStore(client, config.mode), client };
}

authStoreContract("RedisAuthStore", async () => (await open(redis.env)).store);
authStoreContract("RedisAuthStore on Redis Cluster", async () => (await open(cluster.env)).store);
authStoreIdempotencyContract("RedisAuthStore", async () => (await open(redis.env)).store);
authStoreIdempotencyContract("RedisAuthStore on Redis Cluster", async () => (await open(cluster.env)).store);

describe("RedisAuthStore keys, TTLs and repair", () => {
  it("bounds auth:user_tokens to the cap over 300 logins of one user, expired entries dropped first", async () => {
    const { store } = await open(redis.env);
    try {
      const user = await store.createUser({
        username: "cap_user",
        email: "cap@example.com",
        displayName: "",
        roles: [],
        passwordHash: HASH,
      });
      const listKey = `auth:user_tokens:${user.userId}`;
      // Two tokens that expire at once leave stale entries at the head of the list.
      for (let i = 0; i < 2; i++) await store.issueToken(mintToken(user.userId).parsed, 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const tokens = Array.from({ length: 300 }, () => mintToken(user.userId));
      for (const t of tokens) await store.issueToken(t.parsed, 60_000);
      expect(await redis.admin.llen(listKey)).toBe(MAX_LIVE_TOKENS_PER_USER);
      expect(await redis.admin.lrange(listKey, 0, -1)).toEqual(tokens.slice(-MAX_LIVE_TOKENS_PER_USER).map((t) => t.parsed.tokenId));
      const oldest = tokens[0]!.parsed;
      expect(await redis.admin.exists(`auth:token:${oldest.sha256}`, `auth:token_meta:${oldest.tokenId}`)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("keeps tokens only as hashes, with 24 h TTLs on the token keys", async () => {
    const { store } = await open(redis.env);
    try {
      const user = await store.createUser({
        username: "ttl_user",
        email: "ttl@example.com",
        displayName: "",
        roles: [],
        passwordHash: HASH,
      });
      const { token, parsed } = mintToken(user.userId);
      await store.issueToken(parsed, 86_400_000);
      const admin = redis.admin;
      for (const key of [`auth:token:${parsed.sha256}`, `auth:token_meta:${parsed.tokenId}`, `auth:user_tokens:${user.userId}`]) {
        expect(await admin.ttl(key)).toBeGreaterThan(86_400 - 5);
      }
      expect(await admin.get(`auth:token:${parsed.sha256}`)).toBe(user.userId);
      expect(await admin.hgetall(`auth:token_meta:${parsed.tokenId}`)).toMatchObject({
        token_id: parsed.tokenId,
        user_id: user.userId,
        usage_count: "0",
      });
      for (const key of ["auth:username:ttl_user", "auth:email:ttl@example.com", `auth:user:${user.userId}`, "auth:user_list"]) {
        expect(await admin.ttl(key)).toBe(-1);
      }
      const everything = JSON.stringify(await admin.hgetall(`auth:token_meta:${parsed.tokenId}`));
      expect(everything).not.toContain(token.split(".")[3]);
    } finally {
      await store.close();
    }
  });

  it("stamps tokens with the Redis clock (not the service's) and validates a token in one round trip", async () => {
    const { store, client } = await open(redis.env);
    try {
      const user = await store.createUser({
        username: "clock_user",
        email: "clock@example.com",
        displayName: "",
        roles: [],
        passwordHash: HASH,
      });
      const [seconds] = await redis.admin.time();
      const { parsed } = mintToken(user.userId);
      const info = await withServiceClockADayBehind(() => store.issueToken(parsed, 60_000));
      expect(Math.abs(info.createdAt - Number(seconds) * 1000)).toBeLessThan(2_000);
      expect(info.expiresAt).toBe(info.createdAt + 60_000);
      expect(await redis.admin.hmget(`auth:token_meta:${parsed.tokenId}`, "created_at", "expires_at")).toEqual([
        String(info.createdAt),
        String(info.expiresAt),
      ]);
      const sent: string[] = [];
      const send = client.sendCommand.bind(client);
      client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
        sent.push(command.name);
        return (send as (...args: unknown[]) => unknown)(command, ...rest);
      }) as typeof client.sendCommand;
      expect(await store.validateToken(parsed)).toMatchObject({ userId: user.userId, expiresAt: info.expiresAt });
      expect(sent).toEqual(["evalsha"]);
    } finally {
      await store.close();
    }
  });

  it("repairs what a create that died half-way left behind", async () => {
    const { store, client } = await open(redis.env);
    try {
      // A crashed create: claims persisted, user hash never activated (expired).
      await client.set("auth:username:ghost", "usr_ghostghostghostghostgh");
      await client.set("auth:email:ghost@example.com", "usr_ghostghostghostghostgh");
      expect(await store.findByUsername("ghost")).toBeUndefined();
      const user = await store.createUser({
        username: "ghost",
        email: "ghost@example.com",
        displayName: "",
        roles: [],
        passwordHash: HASH,
      });
      expect(await client.get("auth:username:ghost")).toBe(user.userId);
      expect(await client.get("auth:email:ghost@example.com")).toBe(user.userId);
      expect((await store.findByEmail("ghost@example.com"))?.userId).toBe(user.userId);
    } finally {
      await store.close();
    }
  });
});
