import { randomUUID } from "node:crypto";
import { status } from "@grpc/grpc-js";
import { USER_FIELDS } from "../src/redis/user-fields.js";
import { failure, startAuthService } from "./auth-harness.js";
import { RedisServer } from "./idempotency-harness.js";

/**
 * No late effects, then safe retries: auth-svc as a real process on a real
 * redis-server that is frozen (SIGSTOP) past the command timeout while
 * CreateUser, ChangePassword and RevokeToken calls are under way.
 */
const CALLS = 6;
const COMMAND_TIMEOUT_MS = 400;
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startAuthService>>;

beforeAll(async () => {
  redis = await RedisServer.start();
  svc = await startAuthService({ ...redis.env, REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) });
});
afterAll(async () => {
  redis?.resume();
  await svc?.stop();
  await redis?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** The gRPC code of a call's answer: OK or its error's. */
/** How a call ended: its code, and its ErrorInfo reason when it failed. */
const outcome = (call: Promise<unknown>): Promise<{ code: status; reason: string | undefined }> =>
  call.then(
    () => ({ code: status.OK, reason: undefined }),
    () => failure(call),
  );

describe("auth-svc with Redis frozen past the command timeout", () => {
  it("leaves no effect of a call answered with an error, and a retry with its key then acts once", async () => {
    // Users to change passwords of, and tokens to revoke (one user each).
    const changers = await Promise.all(
      Array.from({ length: CALLS }, async (_, i) => {
        const input = {
          username: `changer${i}`,
          email: `changer${i}@example.com`,
          password: `old password ${i}`,
          displayName: "",
          roles: [],
        };
        const { user } = await svc.client.createUser(input);
        const { token } = await svc.client.login({ identifier: { case: "username", value: input.username }, password: input.password });
        return {
          ...input,
          userId: user!.userId,
          token,
          hash: (await redis.admin.hget(`auth:user:${user!.userId}`, USER_FIELDS.password_hash))!,
        };
      }),
    );
    const holders = await Promise.all(
      Array.from({ length: CALLS }, async (_, i) => {
        const input = {
          username: `holder${i}`,
          email: `holder${i}@example.com`,
          password: `holder password ${i}`,
          displayName: "",
          roles: [],
        };
        await svc.client.createUser(input);
        return svc.client.login({ identifier: { case: "username", value: input.username }, password: input.password });
      }),
    );
    const creates = Array.from({ length: CALLS }, (_, i) => ({
      username: `created${i}`,
      email: `created${i}@example.com`,
      password: `created password ${i}`,
      displayName: "",
      roles: [],
      idempotencyKey: `create-${randomUUID()}`,
    }));
    const changes = changers.map((c, i) => ({
      userId: c.userId,
      currentPassword: c.password,
      newPassword: `new password ${i}`,
      idempotencyKey: `change-${randomUUID()}`,
    }));
    const revokes = holders.map((h) => ({ target: { case: "token" as const, value: h.token }, idempotencyKey: `revoke-${randomUUID()}` }));

    // The calls start, staggered; Redis freezes while they are under way and stays frozen well past the command timeout.
    const answers = Promise.all([
      Promise.all(creates.map((request, i) => sleep(i * 35).then(() => outcome(svc.client.createUser(request))))),
      Promise.all(changes.map((request, i) => sleep(i * 35).then(() => outcome(svc.client.changePassword(request))))),
      Promise.all(revokes.map((request, i) => sleep(i * 35).then(() => outcome(svc.client.revokeToken(request))))),
    ]);
    await sleep(120);
    redis.pause();
    await sleep(COMMAND_TIMEOUT_MS * 4);
    redis.resume();
    const [created, changed, revoked] = await answers;
    // Whatever was held up in the sockets has run by now (as no-ops past their bound).
    await sleep(500);

    type Outcome = Awaited<ReturnType<typeof outcome>>;
    const failed = (answers: Outcome[]) => answers.flatMap((a, i) => (a.code === status.OK ? [] : [i]));
    for (const answers of [created, changed, revoked]) {
      expect(failed(answers).length).toBeGreaterThan(0);
      expect(answers.filter((a) => a.code !== status.OK && a.code !== status.UNAVAILABLE)).toEqual([]);
    }
    // Nothing answered with an error has taken effect, but for a call answered OUTCOME_UNKNOWN whose write
    // ran in time just as Redis froze (its reply lost), as that answer allows: at most one such in a run.
    const acted: Outcome[] = [];
    for (const i of failed(created)) {
      const answer = await failure(svc.client.lookupUser({ key: { case: "username", value: creates[i]!.username } })).catch(
        () => undefined,
      );
      if (answer?.code !== status.NOT_FOUND) acted.push(created[i]!);
    }
    for (const i of failed(changed)) {
      if ((await redis.admin.hget(`auth:user:${changers[i]!.userId}`, USER_FIELDS.password_hash)) !== changers[i]!.hash)
        acted.push(changed[i]!);
    }
    for (const i of failed(revoked)) {
      const valid = await svc.client.validateToken({ token: holders[i]!.token }).then(
        (info) => info.tokenId === holders[i]!.tokenInfo!.tokenId,
        () => false,
      );
      if (!valid) acted.push(revoked[i]!);
    }
    expect(acted.length).toBeLessThanOrEqual(1);
    expect(acted.filter((a) => a.reason !== "OUTCOME_UNKNOWN")).toEqual([]);

    // Every call retried with its key now answers OK and has acted exactly once.
    const createdIds = await Promise.all(creates.map(async (request) => (await svc.client.createUser(request)).user!.userId));
    for (const [i, request] of creates.entries()) {
      expect((await svc.client.lookupUser({ key: { case: "username", value: request.username } })).user!.userId).toBe(createdIds[i]);
      expect((await svc.client.createUser(request)).user!.userId).toBe(createdIds[i]);
    }
    const counts = await Promise.all(changes.map(async (request) => (await svc.client.changePassword(request)).revokedCount));
    for (const [i, request] of changes.entries()) {
      const { token } = await svc.client.login({
        identifier: { case: "username", value: changers[i]!.username },
        password: request.newPassword,
      });
      expect((await svc.client.validateToken({ token })).userId).toBe(request.userId);
      expect((await failure(svc.client.validateToken({ token: changers[i]!.token }))).code).toBe(status.UNAUTHENTICATED);
      // A second retry answers the same count and revokes nothing more: the token just issued still works.
      expect((await svc.client.changePassword(request)).revokedCount).toBe(counts[i]);
      expect((await svc.client.validateToken({ token })).userId).toBe(request.userId);
    }
    for (const [i, request] of revokes.entries()) {
      expect(await svc.client.revokeToken(request)).toMatchObject({ tokenId: holders[i]!.tokenInfo!.tokenId });
      expect((await failure(svc.client.validateToken({ token: holders[i]!.token }))).code).toBe(status.UNAUTHENTICATED);
    }
  }, 120_000);
});
