import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { type RedisServer, serviceOnFreshRedis } from "@faultmaven/test-kit";
import { scanKeysOf } from "./idempotency-harness.js";
import { USER_FIELDS } from "../src/redis/user-fields.js";
import { failure, startAuthService } from "./auth-harness.js";

/** Retries with idempotency keys, as callers make them: auth-svc as a real process on a real Redis, over gRPC. */
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startAuthService>>;

serviceOnFreshRedis(
  (fresh) => startAuthService(fresh.env),
  (started) => ({ redis, svc } = started),
);

let n = 0;
const key = () => `key-${randomUUID()}`;
const fresh = () => {
  const name = `idem${++n}`;
  return { username: name, email: `${name}@example.com`, password: `the password ${n}`, displayName: `Idem ${n}`, roles: ["engineer"] };
};
const login = async (username: string, password: string) =>
  svc.client.login({ identifier: { case: "username", value: username }, password });
/** How many user hashes in Redis carry `username` (pending or active). */
async function userHashesNamed(username: string): Promise<number> {
  let found = 0;
  for (const hashKey of await scanKeysOf(redis, "auth:user:*"))
    if ((await redis.admin.hget(hashKey, USER_FIELDS.username)) === username) found++;
  return found;
}

describe("auth-svc retries with idempotency keys", () => {
  it("answers a retried CreateUser with the same user (not ALREADY_EXISTS) and creates it once", async () => {
    const input = { ...fresh(), idempotencyKey: key() };
    const first = await svc.client.createUser(input);
    const retry = await svc.client.createUser(input);
    expect(retry.user).toEqual(first.user);
    expect(await userHashesNamed(input.username)).toBe(1);
    const again = await failure(svc.client.createUser({ ...input, idempotencyKey: key() }));
    expect(again.code).toBe(status.ALREADY_EXISTS);
  });

  it("creates one user for 30 concurrent CreateUser calls with one key, all answering its id", async () => {
    const input = { ...fresh(), idempotencyKey: key() };
    const answers = await Promise.all(Array.from({ length: 30 }, () => svc.client.createUser(input)));
    const ids = new Set(answers.map((answer) => answer.user!.userId));
    expect(ids.size).toBe(1);
    const { user } = await svc.client.lookupUser({ key: { case: "username", value: input.username } });
    expect(ids).toEqual(new Set([user!.userId]));
    expect(await userHashesNamed(input.username)).toBe(1);
  }, 60_000);

  it("refuses a key reused with another request (CreateUser, UpdateUser, RevokeToken) with INVALID_ARGUMENT naming idempotency_key; the refused create and update do not act", async () => {
    const idempotencyKey = key();
    const input = fresh();
    const { user } = await svc.client.createUser({ ...input, idempotencyKey });
    const other = fresh();
    const reusedCreate = await failure(svc.client.createUser({ ...other, idempotencyKey }));
    expect(reusedCreate).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ["idempotency_key"] });
    expect((await failure(svc.client.lookupUser({ key: { case: "username", value: other.username } }))).code).toBe(status.NOT_FOUND);

    const userId = user!.userId;
    const updateKey = key();
    await svc.client.updateUser({
      user: { userId, displayName: "First" },
      updateMask: { paths: ["display_name"] },
      idempotencyKey: updateKey,
    });
    const reusedUpdate = await failure(
      svc.client.updateUser({ user: { userId, displayName: "Other" }, updateMask: { paths: ["display_name"] }, idempotencyKey: updateKey }),
    );
    expect(reusedUpdate).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ["idempotency_key"] });
    expect((await svc.client.getUser({ userId })).user!.displayName).toBe("First");

    const { token, tokenInfo } = await login(input.username, input.password);
    const revokeKey = key();
    await svc.client.revokeToken({ target: { case: "tokenId", value: tokenInfo!.tokenId }, idempotencyKey: revokeKey });
    const reusedRevoke = await failure(svc.client.revokeToken({ target: { case: "token", value: token }, idempotencyKey: revokeKey }));
    expect(reusedRevoke).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ["idempotency_key"] });
  });

  it("answers a retried UpdateUser (e-mail change) with the first answer, without acting again", async () => {
    const input = fresh();
    const { user } = await svc.client.createUser(input);
    const userId = user!.userId;
    const email = `moved${n}@example.com`;
    const request = {
      user: { userId, displayName: "Moved", email },
      updateMask: { paths: ["display_name", "email"] },
      idempotencyKey: key(),
    };
    const first = await svc.client.updateUser(request);
    await svc.client.updateUser({ user: { userId, displayName: "Later" }, updateMask: { paths: ["display_name"] } });
    const retry = await svc.client.updateUser(request);
    expect(retry.user).toEqual(first.user);
    const now = (await svc.client.getUser({ userId })).user!;
    expect(now).toMatchObject({ displayName: "Later", email });
    expect((await failure(svc.client.lookupUser({ key: { case: "email", value: input.email } }))).code).toBe(status.NOT_FOUND);
  });

  it("answers a retried ChangePassword with the first revoked_count, changing the password and revoking once", async () => {
    const input = fresh();
    const { user } = await svc.client.createUser(input);
    const userId = user!.userId;
    await login(input.username, input.password);
    await login(input.username, input.password);
    const request = { userId, currentPassword: input.password, newPassword: "the new password", idempotencyKey: key() };
    expect((await svc.client.changePassword(request)).revokedCount).toBe(2);
    const after = await login(input.username, "the new password");
    // The retry carries the old password, no longer the current one: it is answered from the record.
    expect((await svc.client.changePassword(request)).revokedCount).toBe(2);
    expect((await svc.client.validateToken({ token: after.token })).userId).toBe(userId);
    expect((await failure(login(input.username, input.password))).code).toBe(status.UNAUTHENTICATED);
  });

  it("answers a retried DeleteUser with the first revoked_count, not NOT_FOUND", async () => {
    const input = fresh();
    const { user } = await svc.client.createUser(input);
    await login(input.username, input.password);
    const request = { userId: user!.userId, idempotencyKey: key() };
    expect((await svc.client.deleteUser(request)).revokedCount).toBe(1);
    expect((await svc.client.deleteUser(request)).revokedCount).toBe(1);
    expect((await failure(svc.client.deleteUser({ userId: user!.userId }))).code).toBe(status.NOT_FOUND);
  });

  it("answers a retried RevokeToken with the same token (not NOT_FOUND), by token and by id", async () => {
    const input = fresh();
    await svc.client.createUser(input);
    const [a, b] = [await login(input.username, input.password), await login(input.username, input.password)];
    const byToken = { target: { case: "token" as const, value: a.token }, idempotencyKey: key() };
    const byId = { target: { case: "tokenId" as const, value: b.tokenInfo!.tokenId }, idempotencyKey: key() };
    for (const request of [byToken, byId]) {
      const first = await svc.client.revokeToken(request);
      expect(await svc.client.revokeToken(request)).toEqual(first);
    }
    for (const token of [a.token, b.token]) expect((await failure(svc.client.validateToken({ token }))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(svc.client.revokeToken({ target: byToken.target }))).code).toBe(status.NOT_FOUND);
  });

  it("answers a retried RevokeUserTokens with the first revoked_count, leaving a token issued since alone", async () => {
    const input = fresh();
    const { user } = await svc.client.createUser(input);
    await login(input.username, input.password);
    await login(input.username, input.password);
    const request = { userId: user!.userId, idempotencyKey: key() };
    expect((await svc.client.revokeUserTokens(request)).revokedCount).toBe(2);
    const later = await login(input.username, input.password);
    expect((await svc.client.revokeUserTokens(request)).revokedCount).toBe(2);
    expect((await svc.client.validateToken({ token: later.token })).userId).toBe(user!.userId);
  });

  it("keeps idempotency records next to their anchors, with the window as TTL and no secret in them", async () => {
    const input = fresh();
    const idempotencyKey = key();
    const { user } = await svc.client.createUser({ ...input, idempotencyKey });
    const records = await scanKeysOf(redis, `auth:idem:*:CreateUser:${idempotencyKey}`);
    expect(records.sort()).toEqual([
      `auth:idem:{auth:user:${user!.userId}}:CreateUser:${idempotencyKey}`,
      `auth:idem:{auth:user_list}:CreateUser:${idempotencyKey}`,
    ]);
    for (const record of records) {
      expect(await redis.admin.pttl(record)).toBeGreaterThan(800_000);
      const value = (await redis.admin.getBuffer(record))!.toString("latin1");
      expect(value).not.toContain("argon2");
      expect(value).not.toContain(input.password);
    }
  });
});
