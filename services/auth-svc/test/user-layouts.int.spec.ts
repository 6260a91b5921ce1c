import { EnvReader } from "@faultmaven/config";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";
import { redisTopologies } from "@faultmaven/test-kit";
import { mintToken, newUserId } from "../src/domain/token.js";
import { RedisAuthStore } from "../src/redis/redis-auth-store.js";

/** PHC strings as argon2 makes them: a 22-character salt and a 43-character hash. */
const SALT = "c2FsdHNhbHRzYWx0c2FsdA";
const DIGEST = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
const HASH = `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${DIGEST}`;
const NEXT = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdG5ld3NhbHRuZXc$bmV3aGFzaG5ld2hhc2huZXdoYXNobmV3aGFzaG5ld2g";

const redis = redisTopologies();

async function open(env: Record<string, string>) {
  const config = readRedisConfig(new EnvReader(env));
  const client = createRedisClient(config, "user-layouts-test");
  await client.connect();
  return { store: new RedisAuthStore(client, config.mode), client };
}

type Client = Awaited<ReturnType<typeof open>>["client"];

/** The layouts before this one, as their versions wrote an active user (with two roles, no display name). */
const EARLIER_LAYOUTS = {
  "first (user_id, whole PHC string)": (userId: string, name: string, phc: string) => ({
    user_id: userId,
    username: name,
    email: `${name}@example.com`,
    display_name: "",
    roles: '["viewer","ops"]',
    password_hash: phc,
    created_at: "1000",
    updated_at: "2000",
    state: "active",
  }),
  "split (password_salt, password_hash)": (_userId: string, name: string, phc: string) => {
    const cut = phc.lastIndexOf("$");
    return {
      username: name,
      email: `${name}@example.com`,
      roles: '["viewer","ops"]',
      password_salt: phc.slice(0, cut).replace("$argon2id$v=19$", ""),
      password_hash: phc.slice(cut + 1),
      created_at: "1000",
      state: "active",
    };
  },
};

let counter = 0;

/** Writes an earlier-layout user with its index keys and list entry, as its version left them. */
async function seed(client: Client, layout: keyof typeof EARLIER_LAYOUTS, phc = HASH) {
  const userId = newUserId();
  const name = `earlier_${process.pid}_${++counter}`;
  await client.hset(`auth:user:${userId}`, EARLIER_LAYOUTS[layout](userId, name, phc));
  await client.set(`auth:username:${name}`, userId);
  await client.set(`auth:email:${name}@example.com`, userId);
  await client.rpush("auth:user_list", userId);
  return { userId, name, email: `${name}@example.com` };
}

const sortedFields = async (client: Client, userId: string) => Object.keys(await client.hgetall(`auth:user:${userId}`)).sort();

describe.each(Object.keys(EARLIER_LAYOUTS) as (keyof typeof EARLIER_LAYOUTS)[])("a user of the %s layout", (layout) => {
  it.each([
    ["standalone", () => redis.standalone.env],
    ["Cluster", () => redis.cluster.env],
  ])("is read as it was on %s (GetUser, lookups, ListUsers, ValidateToken), and reads leave it as it is", async (_, env) => {
    const { store, client } = await open(env());
    try {
      const { userId, name, email } = await seed(client, layout);
      const before = await client.hgetall(`auth:user:${userId}`);
      const expected = { userId, username: name, email, displayName: "", roles: ["viewer", "ops"], passwordHash: HASH, createdAt: 1000 };
      expect(await store.getUser(userId)).toMatchObject(expected);
      expect(await store.findByUsername(name)).toMatchObject(expected);
      expect(await store.findByEmail(email)).toMatchObject(expected);
      expect((await store.listUsers(0, 100_000)).users.find((u) => u.userId === userId)).toMatchObject(expected);
      const token = mintToken(userId).parsed;
      await store.issueToken(token, 60_000);
      expect(await store.validateToken(token)).toMatchObject({ userId, roles: ["viewer", "ops"] });
      expect(await client.hgetall(`auth:user:${userId}`)).toEqual(before);
    } finally {
      await store.close();
    }
  });

  it("logs in: the login's write turns it into the current layout (a listpack), and its tokens still validate", async () => {
    const { store, client } = await open(redis.standalone.env);
    try {
      const { userId, name } = await seed(client, layout);
      const token = mintToken(userId).parsed;
      await store.issueToken(token, 60_000);
      const loggedIn = await store.recordLogin(userId);
      expect(loggedIn).toMatchObject({ username: name, roles: ["viewer", "ops"], passwordHash: HASH, createdAt: 1000 });
      expect(loggedIn.lastLogin).toBeGreaterThan(1000);
      const stored = await client.hgetall(`auth:user:${userId}`);
      expect(stored).toMatchObject({ u: name, r: "viewer,ops", s: SALT, h: DIGEST, c: "1000", l: String(loggedIn.lastLogin) });
      // updated_at (m) only where the earlier user had one.
      const updated = layout.startsWith("first") ? ["m"] : [];
      expect(Object.keys(stored).sort()).toEqual(["c", "e", "h", "l", "r", "s", "u", ...updated].sort());
      expect(await client.object("ENCODING", `auth:user:${userId}`)).toBe("listpack");
      expect(await store.validateToken(token)).toMatchObject({ userId, roles: ["viewer", "ops"] });
      expect(await store.getUser(userId)).toEqual(loggedIn);
    } finally {
      await store.close();
    }
  });

  it("takes an e-mail change, a profile update and a password change as its first writes, and is deleted with its claims", async () => {
    const { store, client } = await open(redis.standalone.env);
    try {
      const { userId, name, email } = await seed(client, layout);
      const moved = `moved_${name}@example.com`;
      expect(await store.updateUser(userId, { email: moved, displayName: "Moved" })).toMatchObject({ email: moved, displayName: "Moved" });
      expect((await store.findByEmail(moved))?.userId).toBe(userId);
      expect(await store.findByEmail(email)).toBeUndefined();
      expect(await client.hmget(`auth:user:${userId}`, "u", "e", "d", "pe", "pu", "username", "state")).toEqual([
        name,
        moved,
        "Moved",
        null,
        null,
        null,
        null,
      ]);
      expect(await store.updateUser(userId, { roles: [], displayName: "" })).toMatchObject({ roles: [], displayName: "" });
      expect(await client.hmget(`auth:user:${userId}`, "r", "d")).toEqual([null, null]);

      const second = await seed(client, layout);
      expect(await store.changePassword(second.userId, async (user) => (user.passwordHash === HASH ? NEXT : "wrong"))).toBe(0);
      expect((await store.getUser(second.userId))?.passwordHash).toBe(NEXT);
      expect(await client.hexists(`auth:user:${second.userId}`, "password_hash")).toBe(0);

      const third = await seed(client, layout);
      expect(await store.deleteUser(third.userId)).toBe(0);
      expect(await store.getUser(third.userId)).toBeUndefined();
      expect(await client.exists(`auth:username:${third.name}`, `auth:email:${third.email}`)).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe("turning an earlier-layout user into the current layout", () => {
  it("keeps argon2 parameters other than the defaults, and another algorithm's whole prefix, and still checks the password", async () => {
    const { store, client } = await open(redis.standalone.env);
    try {
      for (const [layout, phc, salt] of [
        ["split (password_salt, password_hash)", `$argon2id$v=19$m=65536,t=3,p=4$${SALT}$${DIGEST}`, `m=65536,t=3,p=4$${SALT}`],
        ["first (user_id, whole PHC string)", `$argon2i$v=19$m=4096,t=3,p=1$${SALT}$${DIGEST}`, `$argon2i$v=19$m=4096,t=3,p=1$${SALT}`],
      ] as const) {
        const { userId } = await seed(client, layout, phc);
        await store.recordLogin(userId);
        expect(await client.hmget(`auth:user:${userId}`, "s", "h")).toEqual([salt, DIGEST]);
        expect((await store.getUser(userId))?.passwordHash).toBe(phc);
        // SET_PASSWORD splits the checked PHC string as the store did (else PASSWORD_CHANGED).
        expect(await store.changePassword(userId, async (user) => (user.passwordHash === phc ? NEXT : "wrong"))).toBe(0);
        expect(await client.hmget(`auth:user:${userId}`, "s", "h")).toEqual(NEXT.split("$").slice(4));
      }
    } finally {
      await store.close();
    }
  });

  it("drops the empty pending e-mail fields a finished change left, and the user id", async () => {
    const { store, client } = await open(redis.standalone.env);
    try {
      const { userId } = await seed(client, "first (user_id, whole PHC string)");
      await client.hset(`auth:user:${userId}`, { pending_email: "", pending_email_until: "0" });
      await store.recordLogin(userId);
      expect(await sortedFields(client, userId)).toEqual(["c", "e", "h", "l", "m", "r", "s", "u"]);
    } finally {
      await store.close();
    }
  });
});

describe("the current user layout", () => {
  /** The bench's user: `pnpm bench` measures one like it. */
  const benchUser = (i: number) => ({
    username: `mem_user_${i}`,
    email: `mem${i}@example.com`,
    displayName: "",
    roles: ["engineer"],
    passwordHash: HASH,
  });
  const usage = async (client: Client, key: string) => Number(await client.call("MEMORY", "USAGE", key, "SAMPLES", "0"));
  // Its listpack within jemalloc's 160-byte class (plus key, object and dict entry): the earlier layout's took 256.
  const BOUND = 248;

  it("holds one-letter fields, no state once active and the salt without the default parameters, in at most 248 bytes, logged in or not", async () => {
    const { store, client } = await open(redis.standalone.env);
    try {
      const user = await store.createUser(benchUser(10));
      const key = `auth:user:${user.userId}`;
      expect(await client.hgetall(key)).toEqual({
        u: user.username,
        e: user.email,
        r: "engineer",
        s: SALT,
        h: DIGEST,
        c: String(user.createdAt),
      });
      expect(await client.object("ENCODING", key)).toBe("listpack");
      expect(await usage(client, key)).toBeLessThanOrEqual(BOUND);
      await store.recordLogin(user.userId);
      expect(await sortedFields(client, user.userId)).toEqual(["c", "e", "h", "l", "r", "s", "u"]);
      expect(await usage(client, key)).toBeLessThanOrEqual(BOUND);
    } finally {
      await store.close();
    }
  });

  it("is what the bound tells apart: the same user in the layout before costs more", async () => {
    const { client } = await open(redis.standalone.env);
    try {
      const { userId } = await seed(client, "split (password_salt, password_hash)");
      const key = `auth:user:${userId}`;
      await client.hset(key, { username: "mem_user_10", email: "mem10@example.com", roles: '["engineer"]', created_at: Date.now() });
      expect(await usage(client, key)).toBeGreaterThan(BOUND);
    } finally {
      client.disconnect();
    }
  });
});
