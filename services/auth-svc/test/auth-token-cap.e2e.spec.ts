import { status } from "@grpc/grpc-js";
import { type RedisServer, serviceOnFreshRedis } from "@faultmaven/test-kit";
import { MAX_LIVE_TOKENS_PER_USER } from "../src/domain/token.js";
import { failure, startAuthService } from "./auth-harness.js";

/** The per-user token cap as callers meet it: a real auth-svc process on a real Redis, over gRPC. */
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startAuthService>>;

serviceOnFreshRedis(
  (fresh) => startAuthService(fresh.env),
  (started) => ({ redis, svc } = started),
);

describe("auth-svc token cap over gRPC", () => {
  it(`keeps a user's newest ${MAX_LIVE_TOKENS_PER_USER} tokens over ${MAX_LIVE_TOKENS_PER_USER + 5} logins, the oldest revoked`, async () => {
    const password = "correct horse battery staple";
    const { user } = await svc.client.createUser({ username: "capped", email: "capped@example.com", password, roles: [] });
    const tokens: string[] = [];
    for (let i = 0; i < MAX_LIVE_TOKENS_PER_USER + 5; i++) {
      tokens.push((await svc.client.login({ identifier: { case: "username", value: "capped" }, password })).token);
    }
    for (const token of tokens.slice(0, 5)) expect((await failure(svc.client.validateToken({ token }))).code).toBe(status.UNAUTHENTICATED);
    for (const token of tokens.slice(5)) expect((await svc.client.validateToken({ token })).userId).toBe(user!.userId);
    expect((await svc.client.listUserTokens({ userId: user!.userId })).tokens).toHaveLength(MAX_LIVE_TOKENS_PER_USER);
    expect(await redis.admin.zcard(`auth:user_tokens:${user!.userId}`)).toBe(MAX_LIVE_TOKENS_PER_USER);
  }, 120_000);
});
