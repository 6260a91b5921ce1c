import { memoryThrottle } from "./throttle-harness.js";
import { createHash, randomUUID } from "node:crypto";
import { runInCallScope } from "@faultmaven/call-scope";
import { EnvReader } from "@faultmaven/config";
import { UnavailableError } from "@faultmaven/errors";
import { createRedisClient, type LuaScript, readRedisConfig, type RedisClient } from "@faultmaven/redis";
import { RedisServer } from "@faultmaven/test-kit";
import { Accounts } from "../src/domain/accounts.js";
import { Passwords } from "../src/domain/passwords.js";
import { mintToken } from "../src/domain/token.js";
import { COMMIT_TOKEN, REVOKE_TOKEN_META } from "../src/redis/revocation-scripts.js";
import { RedisAuthStore } from "../src/redis/redis-auth-store.js";
import { ACTIVATE, COMMIT_EMAIL, DELETE_USER, SET_PASSWORD, UPDATE_USER, USER_TOKEN_REMOVE } from "../src/redis/scripts.js";

/** argon2's smallest memory cost: these tests are about Redis, not about hashing time. */
const passwords = new Passwords({ minLength: 10, maxLength: 128, memoryKiB: 1024, iterations: 2 });
const COMMAND_TIMEOUT_MS = 300;
/** How long Redis stays frozen: well past the command timeout. */
const FROZEN_MS = COMMAND_TIMEOUT_MS * 3;

let redis: RedisServer;
let client: RedisClient;
let store: RedisAuthStore;
let accounts: Accounts;

beforeAll(async () => {
  redis = await RedisServer.start();
  const config = readRedisConfig(new EnvReader({ ...redis.env, REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) }));
  client = createRedisClient(config, "no-late-effects");
  await client.connect();
  store = new RedisAuthStore(client, config.mode);
  accounts = new Accounts(store, passwords, 60_000, memoryThrottle());
});
afterAll(async () => {
  redis?.resume();
  client?.disconnect();
  await redis?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let n = 0;
const fresh = () => {
  const name = `late${++n}`;
  return { username: name, email: `${name}@example.com`, password: `the password ${n}`, displayName: "", roles: [] };
};

/** Runs `work` as a call of `method` with a fresh idempotency key; returns a function that runs it again with the same key. */
function withKey<T>(method: string, request: string, work: () => Promise<T>): () => Promise<T> {
  const fingerprint = createHash("sha256").update(request).digest("hex");
  const idempotency = { name: `${method}:${randomUUID()}`, fingerprint, windowMs: 60_000 };
  return () => runInCallScope({ deadline: undefined, signal: new AbortController().signal, idempotency }, work);
}

/**
 * Runs `call` with Redis frozen (SIGSTOP) just before `script` is sent, for
 * FROZEN_MS; answers the call's outcome once Redis has resumed and run what
 * was held up in the socket.
 */
async function frozenBefore(script: LuaScript, call: () => Promise<unknown>): Promise<unknown> {
  const send = client.evalsha.bind(client);
  client.evalsha = ((sha: string, ...rest: unknown[]) => {
    if (sha === script.sha) {
      client.evalsha = send;
      redis.pause();
      setTimeout(() => redis.resume(), FROZEN_MS);
    }
    return (send as (...args: unknown[]) => unknown)(sha, ...rest);
  }) as typeof client.evalsha;
  const outcome = await call().then(
    (value) => value,
    (error: unknown) => error,
  );
  client.evalsha = send;
  await sleep(FROZEN_MS + 200);
  return outcome;
}

describe("auth-svc writes with Redis frozen before a call's commit", () => {
  beforeAll(async () => {
    // Every script once, so that a frozen one is sent as EVALSHA of a known script (and arrives LATE, not NOSCRIPT).
    const input = fresh();
    const user = await accounts.createUser(input);
    await accounts.login({ username: input.username }, input.password);
    await store.updateUser(user.userId, { email: `warm${n}@example.com`, displayName: "warm" });
    await accounts.changePassword(user.userId, input.password, "the warm password");
    await accounts.deleteUser(user.userId);
  });

  it("CreateUser: answers UNAVAILABLE, leaves no user, and the retry with its key creates it once", async () => {
    const input = fresh();
    const create = withKey("CreateUser", input.username, () => accounts.createUser(input));
    expect(await frozenBefore(ACTIVATE, create)).toBeInstanceOf(UnavailableError);
    expect(await store.findByUsername(input.username)).toBeUndefined();
    expect(await store.findByEmail(input.email)).toBeUndefined();
    const created = await create();
    expect((await store.findByUsername(input.username))?.userId).toBe(created.userId);
    expect((await create()).userId).toBe(created.userId);
    expect((await store.listUsers(0, 100_000)).users.filter((user) => user.username === input.username)).toHaveLength(1);
  });

  it("UpdateUser (e-mail): answers UNAVAILABLE, leaves the old address, and the retry with its key changes it once", async () => {
    const input = fresh();
    const user = await accounts.createUser(input);
    const email = `moved${n}@example.com`;
    const update = withKey("UpdateUser", email, () => store.updateUser(user.userId, { email }));
    expect(await frozenBefore(COMMIT_EMAIL, update)).toBeInstanceOf(UnavailableError);
    expect((await store.getUser(user.userId))?.email).toBe(input.email);
    expect(await store.findByEmail(email)).toBeUndefined();
    expect((await update()).email).toBe(email);
    expect((await store.findByEmail(email))?.userId).toBe(user.userId);
    expect(await store.findByEmail(input.email)).toBeUndefined();
  });

  it("ChangePassword: answers UNAVAILABLE, leaves the password, and the retry with its key changes it once", async () => {
    const input = fresh();
    const user = await accounts.createUser(input);
    const before = (await store.getUser(user.userId))!.passwordHash;
    const change = withKey("ChangePassword", user.userId, () => accounts.changePassword(user.userId, input.password, "the new password"));
    expect(await frozenBefore(SET_PASSWORD, change)).toBeInstanceOf(UnavailableError);
    expect((await store.getUser(user.userId))!.passwordHash).toBe(before);
    expect(await change()).toBe(0);
    const { token } = await accounts.login({ username: input.username }, "the new password");
    expect(await change()).toBe(0);
    expect(await accounts.validateToken(token)).toMatchObject({ userId: user.userId });
  });

  it("DeleteUser: answers UNAVAILABLE, leaves the user, and the retry with its key deletes it once", async () => {
    const input = fresh();
    const user = await accounts.createUser(input);
    await accounts.login({ username: input.username }, input.password);
    const remove = withKey("DeleteUser", user.userId, () => accounts.deleteUser(user.userId));
    expect(await frozenBefore(DELETE_USER, remove)).toBeInstanceOf(UnavailableError);
    expect((await store.getUser(user.userId))?.userId).toBe(user.userId);
    expect(await remove()).toBe(1);
    expect(await remove()).toBe(1);
    expect(await store.getUser(user.userId)).toBeUndefined();
  });

  it("RevokeToken: answers UNAVAILABLE, leaves the token valid, and the retry with its key revokes it", async () => {
    const input = fresh();
    await accounts.createUser(input);
    const { token, info } = await accounts.login({ username: input.username }, input.password);
    const revoke = withKey("RevokeToken", "by token", () => accounts.revokeToken({ token }));
    expect(await frozenBefore(REVOKE_TOKEN_META, revoke)).toBeInstanceOf(UnavailableError);
    expect(await accounts.validateToken(token)).toMatchObject({ tokenId: info.tokenId });
    expect(await revoke()).toEqual({ tokenId: info.tokenId, userId: info.userId });
    expect(await revoke()).toEqual({ tokenId: info.tokenId, userId: info.userId });
    await expect(accounts.validateToken(token)).rejects.toThrow();
  });

  it("RevokeToken: answers the revocation when Redis freezes right after its commit (the rest is cleanup)", async () => {
    const input = fresh();
    await accounts.createUser(input);
    const { token, info } = await accounts.login({ username: input.username }, input.password);
    expect(await frozenBefore(USER_TOKEN_REMOVE, () => accounts.revokeToken({ token }))).toEqual({
      tokenId: info.tokenId,
      userId: info.userId,
    });
    await expect(accounts.validateToken(token)).rejects.toThrow();
    expect(await store.listUserTokens(info.userId)).toEqual([]);
  });

  it.each([
    ["recording the login", UPDATE_USER],
    ["committing the token", COMMIT_TOKEN],
  ])("Login: answers UNAVAILABLE when Redis freezes before %s, and no token of it works or is listed", async (_, script) => {
    const input = fresh();
    const user = await accounts.createUser(input);
    expect(await frozenBefore(script, () => accounts.login({ username: input.username }, input.password))).toBeInstanceOf(UnavailableError);
    expect(await store.listUserTokens(user.userId)).toEqual([]);
    // Every token hash of the user left is still staged: none of its tokens was committed.
    const committed = [];
    for (const key of await redis.admin.keys("auth:token_meta:*")) {
      const [owner, staged] = await redis.admin.hmget(key, "user_id", "staged");
      if (owner === user.userId && staged === null) committed.push(key);
    }
    expect(committed).toEqual([]);
    // The user's next login works, and is the only token listed.
    const { info } = await accounts.login({ username: input.username }, input.password);
    expect((await store.listUserTokens(user.userId)).map((t) => t.tokenId)).toEqual([info.tokenId]);
  });

  it("RevokeUserTokens: a retry with its key after a freeze before a revocation's commit revokes every token and answers one count", async () => {
    const input = fresh();
    const user = await accounts.createUser(input);
    const tokens = [mintToken(user.userId), mintToken(user.userId)];
    for (const t of tokens) await store.issueToken(t.parsed, 60_000);
    const revokeAll = withKey("RevokeUserTokens", user.userId, () => store.revokeUserTokens(user.userId));
    expect(await frozenBefore(REVOKE_TOKEN_META, revokeAll)).toBeInstanceOf(UnavailableError);
    const count = await revokeAll();
    expect(await revokeAll()).toBe(count);
    for (const t of tokens) expect(await store.validateToken(t.parsed)).toBeUndefined();
  });
});
