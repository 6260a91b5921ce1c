import { EnvReader } from "@faultmaven/config";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";
import { redisTopologies, withServiceClockADayBehind } from "@faultmaven/test-kit";
import { MAX_LIVE_TOKENS_PER_USER, mintToken } from "../src/domain/token.js";
import { RedisAuthStore } from "../src/redis/redis-auth-store.js";
import { tokenDigest } from "../src/redis/token-digest.js";
import { authStoreContract } from "./auth-store-contract.js";
import { authStoreIdempotencyContract } from "./auth-store-idempotency-contract.js";

const HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
const redis = redisTopologies();

async function open(env: Record<string, string>) {
  const config = readRedisConfig(new EnvReader(env));
  const client = createRedisClient(config, "auth-store-test");
  await client.connect();
  return { store: new RedisAuthStore(client, config.mode), client };
}

authStoreContract("RedisAuthStore", async () => (await open(redis.standalone.env)).store);
authStoreContract("RedisAuthStore on Redis Cluster", async () => (await open(redis.cluster.env)).store);
authStoreIdempotencyContract("RedisAuthStore", async () => (await open(redis.standalone.env)).store);
authStoreIdempotencyContract("RedisAuthStore on Redis Cluster", async () => (await open(redis.cluster.env)).store);

describe("RedisAuthStore keys, TTLs and repair", () => {
  it("bounds auth:user_tokens to the cap over 300 logins of one user, expired entries dropped first", async () => {
    const { store } = await open(redis.standalone.env);
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
      expect(await redis.standalone.admin.zcard(listKey)).toBe(MAX_LIVE_TOKENS_PER_USER);
      expect(await redis.standalone.admin.zrange(listKey, "0", "-1")).toEqual(
        tokens.slice(-MAX_LIVE_TOKENS_PER_USER).map((t) => t.parsed.tokenId),
      );
      const oldest = tokens[0]!.parsed;
      expect(await redis.standalone.admin.exists(`auth:token_meta:${oldest.tokenId}`)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it("keeps a token as one hash holding its digest (no secret), with 24 h TTLs on it and the user's token set", async () => {
    const { store } = await open(redis.standalone.env);
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
      const admin = redis.standalone.admin;
      for (const key of [`auth:token_meta:${parsed.tokenId}`, `auth:user_tokens:${user.userId}`]) {
        expect(await admin.ttl(key)).toBeGreaterThan(86_400 - 5);
      }
      expect(await admin.exists(`auth:token:${parsed.sha256}`)).toBe(0);
      expect(await admin.hgetall(`auth:token_meta:${parsed.tokenId}`)).toEqual({
        user_id: user.userId,
        digest: tokenDigest(parsed),
        created_at: expect.any(String),
        expires_at: expect.any(String),
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
    const { store, client } = await open(redis.standalone.env);
    try {
      const user = await store.createUser({
        username: "clock_user",
        email: "clock@example.com",
        displayName: "",
        roles: [],
        passwordHash: HASH,
      });
      const [seconds] = await redis.standalone.admin.time();
      const { parsed } = mintToken(user.userId);
      const info = await withServiceClockADayBehind(() => store.issueToken(parsed, 60_000));
      expect(Math.abs(info.createdAt - Number(seconds) * 1000)).toBeLessThan(2_000);
      expect(info.expiresAt).toBe(info.createdAt + 60_000);
      expect(await redis.standalone.admin.hmget(`auth:token_meta:${parsed.tokenId}`, "created_at", "expires_at")).toEqual([
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
    const { store, client } = await open(redis.standalone.env);
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

describe("RedisAuthStore reads tokens written before the merged token hash", () => {
  /** A committed token as the version before wrote it: token key, metadata hash (hex digest), and a list entry. */
  async function writeEarlierToken(userId: string, ttlMs: number) {
    const { token, parsed } = mintToken(userId);
    const [seconds] = await redis.standalone.admin.time();
    const now = Number(seconds) * 1000;
    await redis.standalone.admin.hset(`auth:token_meta:${parsed.tokenId}`, {
      created_at: now,
      expires_at: now + ttlMs,
      usage_count: 0,
      token_id: parsed.tokenId,
      user_id: userId,
      token_sha256: parsed.sha256,
    });
    await redis.standalone.admin.pexpire(`auth:token_meta:${parsed.tokenId}`, ttlMs);
    await redis.standalone.admin.rpush(`auth:user_tokens:${userId}`, parsed.tokenId);
    await redis.standalone.admin.pexpire(`auth:user_tokens:${userId}`, ttlMs);
    await redis.standalone.admin.set(`auth:token:${parsed.sha256}`, userId, "PX", ttlMs);
    return { token, parsed };
  }

  it("validates, lists and revokes them; a new login turns the token list into the ordered set, order kept", async () => {
    const { store } = await open(redis.standalone.env);
    try {
      const user = await store.createUser({
        username: "early_tokens",
        email: "early@example.com",
        displayName: "",
        roles: [],
        passwordHash: HASH,
      });
      const first = await writeEarlierToken(user.userId, 60_000);
      const second = await writeEarlierToken(user.userId, 60_000);
      expect(await store.validateToken(first.parsed)).toMatchObject({ userId: user.userId, tokenId: first.parsed.tokenId });
      expect(await store.validateToken({ ...first.parsed, sha256: "0".repeat(64) })).toBeUndefined();
      expect((await store.listUserTokens(user.userId)).map((t) => t.tokenId).sort()).toEqual(
        [first.parsed.tokenId, second.parsed.tokenId].sort(),
      );

      const fresh = mintToken(user.userId).parsed;
      await store.issueToken(fresh, 60_000);
      const setKey = `auth:user_tokens:${user.userId}`;
      expect(await redis.standalone.admin.type(setKey)).toBe("zset");
      expect(await redis.standalone.admin.zrange(setKey, "0", "-1")).toEqual([first.parsed.tokenId, second.parsed.tokenId, fresh.tokenId]);
      expect(await redis.standalone.admin.pttl(setKey)).toBeGreaterThan(50_000);

      expect(await store.revokeToken({ ...first.parsed, sha256: "0".repeat(64) })).toBeUndefined();
      expect(await store.revokeToken(first.parsed)).toEqual({ tokenId: first.parsed.tokenId, userId: user.userId });
      expect(await redis.standalone.admin.exists(`auth:token:${first.parsed.sha256}`, `auth:token_meta:${first.parsed.tokenId}`)).toBe(0);
      expect(await store.validateToken(first.parsed)).toBeUndefined();
      expect(await store.revokeUserTokens(user.userId)).toBe(2);
      expect(await redis.standalone.admin.exists(`auth:token:${second.parsed.sha256}`, `auth:token_meta:${second.parsed.tokenId}`)).toBe(0);
      expect(await store.listUserTokens(user.userId)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("revokes them by id from a token list still in the earlier layout (DeleteUser)", async () => {
    const { store } = await open(redis.standalone.env);
    try {
      const user = await store.createUser({
        username: "early_delete",
        email: "early_delete@example.com",
        displayName: "",
        roles: [],
        passwordHash: HASH,
      });
      const earlier = await writeEarlierToken(user.userId, 60_000);
      expect(await store.deleteUser(user.userId)).toBe(1);
      expect(await store.validateToken(earlier.parsed)).toBeUndefined();
      expect(
        await redis.standalone.admin.exists(
          `auth:token:${earlier.parsed.sha256}`,
          `auth:token_meta:${earlier.parsed.tokenId}`,
          `auth:user_tokens:${user.userId}`,
        ),
      ).toBe(0);
    } finally {
      await store.close();
    }
  });
});
