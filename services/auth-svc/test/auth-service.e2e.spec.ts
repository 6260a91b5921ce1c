import { status } from "@grpc/grpc-js";
import { bufCurl, dumpRedis, listMethods, RedisServer } from "@faultmaven/test-kit";
import { USER_FIELDS } from "../src/redis/user-fields.js";
import { failure, startAuthService } from "./auth-harness.js";

/** auth-svc as its callers see it: a real process on a real Redis, over gRPC. */
let redis: RedisServer;
const MAX_PASSWORD = 130;
let svc: Awaited<ReturnType<typeof startAuthService>>;
/** Every password and token the tests used: none may end up in Redis or the logs. */
const secrets = new Set<string>();

beforeAll(async () => {
  redis = await RedisServer.start();
  // 130 characters, so that a 128-emoji password plus a suffix is allowed.
  // Hashing as wide as libuv's pool: these tests race dozens of concurrent calls against deletes and each
  // other, which on a busy 2-core machine outlast the client's deadline at the default (one at a time);
  // the hashing limit has its own tests (auth-login-throttle.e2e.spec.ts).
  svc = await startAuthService({ ...redis.env, AUTH_PASSWORD_MAX_LENGTH: String(MAX_PASSWORD), AUTH_PASSWORD_HASH_CONCURRENCY: "4" });
});
afterAll(async () => {
  await svc?.stop();
  await redis?.close();
});

let n = 0;
const fresh = () => {
  const name = `user${++n}`;
  const password = `correct horse battery ${n}`;
  secrets.add(password);
  return { username: name, email: `${name}@example.com`, password, displayName: `User ${n}`, roles: ["engineer"] };
};
const login = async (username: string, password: string) => {
  const reply = await svc.client.login({ identifier: { case: "username", value: username }, password });
  secrets.add(reply.token);
  return reply;
};

describe("auth-svc over gRPC", () => {
  it("creates, gets, looks up (case-insensitively), lists and updates users", async () => {
    const input = fresh();
    const { user } = await svc.client.createUser({ ...input, username: input.username.toUpperCase(), email: input.email.toUpperCase() });
    expect(user).toMatchObject({ username: input.username, email: input.email, displayName: input.displayName, roles: ["engineer"] });
    expect(JSON.stringify(user, (_, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain("argon2");
    const userId = user!.userId;
    expect((await svc.client.getUser({ userId })).user!.username).toBe(input.username);
    expect((await svc.client.lookupUser({ key: { case: "username", value: input.username.toUpperCase() } })).user!.userId).toBe(userId);
    expect((await svc.client.lookupUser({ key: { case: "email", value: `  ${input.email}`.trim() } })).user!.userId).toBe(userId);

    const email = `renamed${n}@example.com`;
    const updated = await svc.client.updateUser({
      user: { userId, displayName: "Renamed", email: email.toUpperCase(), roles: ["admin", "admin", "user"] },
      updateMask: { paths: ["display_name", "email", "roles"] },
    });
    expect(updated.user).toMatchObject({ displayName: "Renamed", email, roles: ["admin", "user"] });
    expect((await failure(svc.client.lookupUser({ key: { case: "email", value: input.email } }))).code).toBe(status.NOT_FOUND);

    const second = await svc.client.createUser(fresh());
    const page1 = await svc.client.listUsers({ pageSize: 1 });
    expect(page1.users).toHaveLength(1);
    const all = [...page1.users];
    let token = page1.nextPageToken;
    while (token) {
      const page = await svc.client.listUsers({ pageSize: 1, pageToken: token });
      all.push(...page.users);
      token = page.nextPageToken;
    }
    expect(all.map((u) => u.userId)).toEqual(expect.arrayContaining([userId, second.user!.userId]));
  });

  it("logs in by username or email, validates and counts token uses", async () => {
    const input = fresh();
    const { user } = await svc.client.createUser(input);
    const reply = await login(input.username.toUpperCase(), input.password);
    expect(reply.token).toMatch(/^fm1\./);
    expect(reply.user!.lastLogin).toBeDefined();
    expect(reply.tokenInfo).toMatchObject({ userId: user!.userId, usageCount: 0n });
    const byEmail = await svc.client.login({ identifier: { case: "email", value: input.email }, password: input.password });
    secrets.add(byEmail.token);

    const identity = await svc.client.validateToken({ token: reply.token });
    expect(identity).toMatchObject({ userId: user!.userId, roles: ["engineer"], tokenId: reply.tokenInfo!.tokenId });
    const expiresIn = Number(identity.expiresAt!.seconds) - Date.now() / 1000;
    expect(expiresIn).toBeGreaterThan(86_400 - 60);
    await svc.client.validateToken({ token: reply.token });
    const { tokens } = await svc.client.listUserTokens({ userId: user!.userId });
    expect(tokens.map((t) => t.tokenId)).toEqual([byEmail.tokenInfo!.tokenId, reply.tokenInfo!.tokenId]);
    expect(tokens[1]!.usageCount).toBe(2n);
    expect(tokens[1]!.lastUsed).toBeDefined();
  });

  it("answers an unknown user and a wrong password the same way, in about the same time", async () => {
    const input = fresh();
    await svc.client.createUser(input);
    const wrong = await failure(
      svc.client.login({ identifier: { case: "username", value: input.username }, password: "not the password!" }),
    );
    const unknown = await failure(
      svc.client.login({ identifier: { case: "username", value: "nobody_here" }, password: "not the password!" }),
    );
    expect(wrong).toEqual(unknown);
    expect(wrong.code).toBe(status.UNAUTHENTICATED);

    const median = async (call: () => Promise<unknown>) => {
      const times: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t = performance.now();
        await call().catch(() => undefined);
        times.push(performance.now() - t);
      }
      return times.sort((a, b) => a - b)[3]!;
    };
    const wrongMs = await median(() =>
      svc.client.login({ identifier: { case: "username", value: input.username }, password: "nope-nope-nope" }),
    );
    const unknownMs = await median(() =>
      svc.client.login({ identifier: { case: "username", value: "ghost_user" }, password: "nope-nope-nope" }),
    );
    // Both paths run one argon2id verification; an early answer for an
    // unknown user would be ~20x faster. The band is wide for busy machines.
    expect(unknownMs / wrongMs).toBeGreaterThan(0.33);
    expect(unknownMs / wrongMs).toBeLessThan(3);
  });

  it("verifies the whole password: a 128-emoji password with one suffix does not log in with another", async () => {
    const input = { ...fresh(), password: `${"😀".repeat(128)}ab` };
    secrets.add(input.password);
    await svc.client.createUser(input);
    const other = await failure(login(input.username, `${"😀".repeat(128)}zz`));
    expect(other.code).toBe(status.UNAUTHENTICATED);
    const longer = await failure(login(input.username, `${input.password}x`));
    expect(longer.code).toBe(status.UNAUTHENTICATED);
    expect((await login(input.username, input.password)).token).toMatch(/^fm1\./);
  });

  it("answers each Login racing DeleteUser OK or UNAUTHENTICATED, and leaves no token of the deleted users in Redis", async () => {
    const inputs = Array.from({ length: 40 }, () => fresh());
    const ids = await Promise.all(inputs.map(async (input) => (await svc.client.createUser(input)).user!.userId));
    const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 40));
    const codes = await Promise.all(
      inputs.map(async (input, i) => {
        const [code] = await Promise.all([
          // failure() throws when the call succeeds.
          pause().then(() =>
            failure(login(input.username, input.password)).then(
              (f) => f.code,
              () => status.OK,
            ),
          ),
          pause().then(() => svc.client.deleteUser({ userId: ids[i]! })),
        ]);
        return code;
      }),
    );
    expect(codes.filter((code) => code !== status.OK && code !== status.UNAUTHENTICATED)).toEqual([]);
    const deleted = new Set(ids);
    const left: string[] = [];
    for (const key of await redis.admin.keys("auth:token:*")) if (deleted.has((await redis.admin.get(key)) ?? "")) left.push(key);
    for (const key of await redis.admin.keys("auth:token_meta:*"))
      if (deleted.has((await redis.admin.hget(key, "user_id")) ?? "")) left.push(key);
    for (const key of await redis.admin.keys("auth:user_tokens:*")) if (deleted.has(key.slice("auth:user_tokens:".length))) left.push(key);
    expect(left).toEqual([]);
  });

  it("keeps exactly one e-mail claim (its current e-mail) through rounds of 20 concurrent e-mail changes, and none after DeleteUser", async () => {
    const { user } = await svc.client.createUser(fresh());
    const userId = user!.userId;
    const claims = async () => {
      const keys = await redis.admin.keys("auth:email:*");
      const owners = await Promise.all(keys.map((key) => redis.admin.get(key)));
      return keys.filter((_, i) => owners[i] === userId);
    };
    const pause = () => new Promise((resolve) => setTimeout(resolve, Math.random() * 8));
    for (let round = 0; round < 5; round++) {
      const codes = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          pause().then(() =>
            failure(
              svc.client.updateUser({ user: { userId, email: `move${n}_${round}_${i}@example.com` }, updateMask: { paths: ["email"] } }),
            ).then(
              (f) => f.code,
              () => status.OK,
            ),
          ),
        ),
      );
      expect(codes.filter((code) => code !== status.OK && code !== status.FAILED_PRECONDITION)).toEqual([]);
      const { user: now } = await svc.client.getUser({ userId });
      expect(await claims()).toEqual([`auth:email:${now!.email}`]);
    }
    await svc.client.deleteUser({ userId });
    expect(await claims()).toEqual([]);
  });

  it("fails a revoked or expired token at once, and every token after revoke-all", async () => {
    const input = fresh();
    const { user } = await svc.client.createUser(input);
    const userId = user!.userId;
    const [a, b, c, d] = [
      await login(input.username, input.password),
      await login(input.username, input.password),
      await login(input.username, input.password),
      await login(input.username, input.password),
    ];

    expect(await svc.client.revokeToken({ target: { case: "token", value: a.token } })).toMatchObject({
      tokenId: a.tokenInfo!.tokenId,
      userId,
    });
    expect((await failure(svc.client.validateToken({ token: a.token }))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(svc.client.revokeToken({ target: { case: "token", value: a.token } }))).code).toBe(status.NOT_FOUND);

    await svc.client.revokeToken({ target: { case: "tokenId", value: b.tokenInfo!.tokenId } });
    expect((await failure(svc.client.validateToken({ token: b.token }))).code).toBe(status.UNAUTHENTICATED);

    // Expiry is Redis's TTL: make c's keys expire now.
    await redis.admin.pexpire(`auth:token_meta:${c.tokenInfo!.tokenId}`, 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await failure(svc.client.validateToken({ token: c.token }))).code).toBe(status.UNAUTHENTICATED);

    const more = await login(input.username, input.password);
    expect((await svc.client.revokeUserTokens({ userId })).revokedCount).toBe(2);
    for (const t of [d, more]) expect((await failure(svc.client.validateToken({ token: t.token }))).code).toBe(status.UNAUTHENTICATED);
    expect((await svc.client.listUserTokens({ userId })).tokens).toEqual([]);
  });

  it("revokes tokens on password change and on delete", async () => {
    const input = fresh();
    const { user } = await svc.client.createUser(input);
    const userId = user!.userId;
    const before = await login(input.username, input.password);
    const next = `a brand new password ${n}`;
    secrets.add(next);
    const wrong = await failure(svc.client.changePassword({ userId, currentPassword: "wrong password", newPassword: next }));
    expect(wrong.code).toBe(status.UNAUTHENTICATED);
    expect((await svc.client.changePassword({ userId, currentPassword: input.password, newPassword: next })).revokedCount).toBe(1);
    expect((await failure(svc.client.validateToken({ token: before.token }))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(login(input.username, input.password))).code).toBe(status.UNAUTHENTICATED);
    const after = await login(input.username, next);

    expect((await svc.client.deleteUser({ userId })).revokedCount).toBe(1);
    expect((await failure(svc.client.validateToken({ token: after.token }))).code).toBe(status.UNAUTHENTICATED);
    expect((await failure(svc.client.getUser({ userId }))).code).toBe(status.NOT_FOUND);
    expect(await redis.admin.exists(`auth:user:${userId}`, `auth:username:${input.username}`, `auth:email:${input.email}`)).toBe(0);
    expect(await redis.admin.lrange("auth:user_list", 0, -1)).not.toContain(userId);
    // The name is free again.
    await svc.client.createUser({ ...input, password: next });
  });

  it.each([
    ["username", (name: string): Record<string, string> => ({ username: name })],
    ["email", (name: string): Record<string, string> => ({ email: name })],
  ] as const)(
    "gives a contested %s to exactly one of 100 concurrent CreateUser calls",
    async (field, contested) => {
      const variants = (value: string, i: number) => (i % 3 === 0 ? value.toUpperCase() : i % 3 === 1 ? value.toLowerCase() : value);
      const value = field === "username" ? "RaCeR" : "Race@Example.COM";
      const results = await Promise.allSettled(
        Array.from({ length: 100 }, (_, i) => {
          const base = { username: `racer_${field}_${i}`, email: `racer_${field}_${i}@example.com`, password: "racing password 1" };
          return svc.client.createUser({ ...base, ...contested(variants(value, i)) }, { timeoutMs: 30_000 });
        }),
      );
      secrets.add("racing password 1");
      const ok = results.filter((r) => r.status === "fulfilled") as PromiseFulfilledResult<{ user?: { userId: string } }>[];
      expect(ok).toHaveLength(1);
      const refused = results.flatMap((r) => (r.status === "rejected" ? [(r.reason as { code: number }).code] : []));
      expect(refused).toEqual(Array.from({ length: 99 }, () => status.ALREADY_EXISTS));
      const winner = ok[0]!.value.user!.userId;

      const normalised = value.toLowerCase();
      const indexKeys = await redis.admin.keys(field === "username" ? "auth:username:*" : "auth:email:*");
      expect(indexKeys.filter((k) => k.endsWith(`:${normalised}`))).toEqual([`auth:${field}:${normalised}`]);
      expect(await redis.admin.get(`auth:${field}:${normalised}`)).toBe(winner);
      const users = await Promise.all((await redis.admin.keys("auth:user:*")).map((k) => redis.admin.hgetall(k)));
      const { username: u, email: e } = USER_FIELDS;
      expect(users.filter((user) => user[USER_FIELDS[field]] === normalised)).toHaveLength(1);
      // Of the 100 attempts' own (uncontested) values, only the winner's remain.
      expect(users.filter((user) => user[u]?.startsWith(`racer_${field}_`) || user[e]?.startsWith(`racer_${field}_`))).toHaveLength(1);
      const list = await redis.admin.lrange("auth:user_list", 0, -1);
      expect(list.filter((id) => id === winner)).toHaveLength(1);
      expect(users.filter((u) => u.state === "pending")).toHaveLength(0);
      // The 99 losers released the other (uncontested) value they had claimed on the way.
      const other = field === "email" ? "username" : "email";
      expect(await redis.admin.keys(`auth:${other}:racer_${field}_*`)).toHaveLength(1);
    },
    60_000,
  );

  it("costs ONE Redis round trip per ValidateToken", async () => {
    const input = fresh();
    await svc.client.createUser(input);
    const { token } = await login(input.username, input.password);
    await svc.client.validateToken({ token }); // warm the script cache
    const monitor = await redis.admin.monitor();
    const seen: string[] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua" && args[0]?.toUpperCase() !== "PING") seen.push(args[0]!.toUpperCase());
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (let i = 0; i < 5; i++) await svc.client.validateToken({ token });
    await new Promise((resolve) => setTimeout(resolve, 50));
    monitor.disconnect();
    expect(seen).toEqual(["EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA", "EVALSHA"]);
  });

  describe("bad input gets INVALID_ARGUMENT naming the field", () => {
    const ok = { username: "valid_name", email: "valid@example.com", password: "long enough password" };
    const cases: [string, () => Promise<unknown>, string][] = [
      ["empty username", () => svc.client.createUser({ ...ok, username: "" }), "username"],
      ["oversized username", () => svc.client.createUser({ ...ok, username: "a".repeat(65) }), "username"],
      ["username with a key separator", () => svc.client.createUser({ ...ok, username: "x:*" }), "username"],
      ["username a}{b", () => svc.client.createUser({ ...ok, username: "a}{b" }), "username"],
      ["username ../", () => svc.client.createUser({ ...ok, username: "../x" }), "username"],
      ["invalid email", () => svc.client.createUser({ ...ok, email: "not-an-email" }), "email"],
      ["email with a separator", () => svc.client.createUser({ ...ok, email: "a:b@example.com" }), "email"],
      ["10 KB email", () => svc.client.createUser({ ...ok, email: `${"a".repeat(10_240)}@example.com` }), "email"],
      ["too short password", () => svc.client.createUser({ ...ok, password: "short" }), "password"],
      ["too long password", () => svc.client.createUser({ ...ok, password: "p".repeat(MAX_PASSWORD + 1) }), "password"],
      ["too long password in emoji", () => svc.client.createUser({ ...ok, password: "😀".repeat(MAX_PASSWORD + 1) }), "password"],
      ["bad role", () => svc.client.createUser({ ...ok, roles: ["admin", "has space"] }), "roles[1]"],
      ["33 roles", () => svc.client.createUser({ ...ok, roles: Array.from({ length: 33 }, (_, i) => `r${i}`) }), "roles"],
      ["empty email", () => svc.client.createUser({ ...ok, email: "" }), "email"],
      ["1 KB password", () => svc.client.createUser({ ...ok, password: "p".repeat(1025) }), "password"],
      ["negative page size", () => svc.client.listUsers({ pageSize: -1 }), "page_size"],
      [
        "update of an e-mail to nothing",
        () => svc.client.updateUser({ user: { userId: "usr_aaaaaaaaaaaaaaaaaaaaaa" }, updateMask: { paths: ["email"] } }),
        "user.email",
      ],
      [
        "update with a bad user_id",
        () => svc.client.updateUser({ user: { userId: "usr_*" }, updateMask: { paths: ["display_name"] } }),
        "user.user_id",
      ],
      [
        "change without current password",
        () => svc.client.changePassword({ userId: "usr_aaaaaaaaaaaaaaaaaaaaaa", newPassword: "long enough password" }),
        "current_password",
      ],
      ["revoke with a token of the wrong shape", () => svc.client.revokeToken({ target: { case: "token", value: "fm1.x" } }), "token"],
      ["control characters in display_name", () => svc.client.createUser({ ...ok, displayName: "a\u0000b" }), "display_name"],
      ["malformed user_id", () => svc.client.getUser({ userId: "usr_*" }), "user_id"],
      ["lookup without key", () => svc.client.lookupUser({}), "key"],
      ["token of the wrong shape", () => svc.client.validateToken({ token: "abc" }), "token"],
      ["10 KB token", () => svc.client.validateToken({ token: "x".repeat(10_240) }), "token"],
      ["revoke without target", () => svc.client.revokeToken({}), "target"],
      ["malformed token_id", () => svc.client.revokeToken({ target: { case: "tokenId", value: "tok_../" } }), "token_id"],
      ["login without identifier", () => svc.client.login({ password: "x" }), "identifier"],
      ["login without password", () => svc.client.login({ identifier: { case: "username", value: "someone" } }), "password"],
      ["update without mask", () => svc.client.updateUser({ user: { userId: "usr_aaaaaaaaaaaaaaaaaaaaaa" } }), "update_mask"],
      [
        "update of username",
        () => svc.client.updateUser({ user: { userId: "usr_aaaaaaaaaaaaaaaaaaaaaa" }, updateMask: { paths: ["username"] } }),
        "update_mask",
      ],
      [
        "new password too short",
        () => svc.client.changePassword({ userId: "usr_aaaaaaaaaaaaaaaaaaaaaa", currentPassword: "x", newPassword: "y" }),
        "new_password",
      ],
      ["forged page token", () => svc.client.listUsers({ pageToken: "forged" }), "page_token"],
    ];
    it.each(cases)("%s", async (_, call, field) => {
      const result = await failure(call());
      expect(result.code).toBe(status.INVALID_ARGUMENT);
      expect(result.fields).toEqual([field]);
    });
  });

  it("serves reflection for grpcurl-style calls (buf curl)", async () => {
    const methods = await listMethods(svc.service.address);
    expect(methods).toContain("faultmaven.auth.v1.AuthService/ValidateToken");
    const password = "a password for curl";
    secrets.add(password);
    const created = await bufCurl(svc.service.address, "/faultmaven.auth.v1.AuthService/CreateUser", {
      username: "curl_user",
      email: "curl@example.com",
      password,
    });
    expect(created.code).toBe(0);
    const loggedIn = await bufCurl(svc.service.address, "/faultmaven.auth.v1.AuthService/Login", { username: "curl_user", password });
    const token = (JSON.parse(loggedIn.stdout) as { token: string }).token;
    secrets.add(token);
    const validated = await bufCurl(svc.service.address, "/faultmaven.auth.v1.AuthService/ValidateToken", { token });
    expect(JSON.parse(validated.stdout)).toMatchObject({ userId: expect.stringMatching(/^usr_/) });
  });
});

describe("after the whole suite", () => {
  it("finds no plaintext token or password anywhere in Redis or in the service's logs", async () => {
    expect(secrets.size).toBeGreaterThan(20);
    // Every key and value, of every type (the audit stream included).
    const dump = await dumpRedis(redis.admin);
    expect(dump.get("auth:audit")).toContain("login");
    const everything = [...dump].flat().join("\n");
    // The users' hashes are in it: their salts and hashes (the PHC string's prefix and default parameters are not stored).
    expect(everything).toMatch(/\ns\n[A-Za-z0-9+/]{22}\nh\n[A-Za-z0-9+/]{43}\n/);
    const logs = svc.service.rawOutput.join("\n");
    expect(logs).toContain('"msg":"rpc"');
    for (const secret of secrets) {
      expect(everything.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
    }
    // A token's secret part alone is not stored either.
    const tokens = [...secrets].filter((secret) => secret.startsWith("fm1."));
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.filter((token) => everything.includes(token.split(".")[3]!))).toEqual([]);
  });
});
