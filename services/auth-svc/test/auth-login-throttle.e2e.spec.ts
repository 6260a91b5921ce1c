import { status } from "@grpc/grpc-js";
import { metricValue, type RedisServer, serviceOnFreshRedis } from "@faultmaven/test-kit";
import { failure, startAuthService } from "./auth-harness.js";

/** auth-svc's login protection as callers see it: a real process on a real Redis, over gRPC, with short delays. */
const THRESHOLD = 5;
const BASE_DELAY_MS = 400;
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startAuthService>>;

serviceOnFreshRedis(
  (fresh) =>
    startAuthService({
      ...fresh.env,
      AUTH_LOGIN_ACCOUNT_THRESHOLD: String(THRESHOLD),
      AUTH_LOGIN_SOURCE_THRESHOLD: "10000",
      AUTH_LOGIN_BASE_DELAY_MS: String(BASE_DELAY_MS),
      AUTH_LOGIN_DELAY_GROWTH: "2",
      AUTH_LOGIN_MAX_DELAY_MS: "1600",
    }),
  (started) => ({ redis, svc } = started),
);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const login = (username: string, password: string) => svc.client.login({ identifier: { case: "username", value: username }, password });

describe("auth-svc login protection over gRPC", () => {
  it("refuses 200 wrong logins for one account past the threshold without argon2, while another account logs in; the right password works after the delay", async () => {
    const password = "victim's right password";
    await svc.client.createUser({ username: "victim", email: "victim@example.com", password, roles: [] });
    await svc.client.createUser({ username: "bystander", email: "bystander@example.com", password: "bystander password", roles: [] });

    // What one argon2 run costs this process: 20 wrong logins of 20 unknown names (each verifies a dummy hash).
    const cpu0 = await metricValue(svc.service.metricsPort, "process_cpu_seconds_total");
    for (let i = 0; i < 20; i++) await failure(login(`unknown_${i}`, "wrong password!"));
    const cpuPerLogin = ((await metricValue(svc.service.metricsPort, "process_cpu_seconds_total")) - cpu0) / 20;

    const runsBefore = await metricValue(svc.service.metricsPort, "password_hash_runs_total");
    const cpuBefore = await metricValue(svc.service.metricsPort, "process_cpu_seconds_total");
    const answers = [];
    let bystanderLogins = 0;
    const started = performance.now();
    for (let i = 0; i < 200; i++) {
      const at = performance.now();
      answers.push({ ...(await failure(login("victim", `wrong password ${i}`))), at });
      if (i % 20 === 0) {
        expect((await login("bystander", "bystander password")).token).toMatch(/^fm1\./);
        bystanderLogins++;
      }
    }
    const elapsedMs = performance.now() - started;
    const cpuSeconds = (await metricValue(svc.service.metricsPort, "process_cpu_seconds_total")) - cpuBefore;
    const runs = (await metricValue(svc.service.metricsPort, "password_hash_runs_total")) - runsBefore - bystanderLogins;

    const wrong = answers.filter((a) => a.code === status.UNAUTHENTICATED);
    const throttled = answers.filter((a) => a.code === status.RESOURCE_EXHAUSTED);
    expect(wrong.length + throttled.length).toBe(200);
    expect(answers.slice(0, THRESHOLD).every((a) => a.code === status.UNAUTHENTICATED)).toBe(true);
    expect(answers[THRESHOLD]).toMatchObject({ code: status.RESOURCE_EXHAUSTED, reason: "LOGIN_THROTTLED" });
    expect(throttled.every((a) => a.reason === "LOGIN_THROTTLED" && a.retryDelayMs! > 0 && a.retryDelayMs! <= 1600)).toBe(true);
    // Past the threshold, a password is checked again only once the lock ran out: 400 ms, then 800, then 1600 (the cap).
    const locks = [400, 800, 1600];
    for (let k = THRESHOLD; k < wrong.length; k++) {
      expect(wrong[k]!.at - wrong[k - 1]!.at).toBeGreaterThanOrEqual(locks[Math.min(k - THRESHOLD, 2)]! - 50);
    }
    expect(wrong.length).toBeLessThan(THRESHOLD + 2 + elapsedMs / 1600);
    // argon2 ran once per checked password and never for a refusal.
    expect(runs).toBe(wrong.length);
    const fullCpu = 200 * cpuPerLogin;
    console.log(
      `200 wrong logins for one account: ${runs} argon2 runs, ${(cpuSeconds * 1000).toFixed(0)} ms CPU ` +
        `(incl. ${bystanderLogins} bystander logins) vs ~${(fullCpu * 1000).toFixed(0)} ms for 200 full runs ` +
        `(${(cpuPerLogin * 1000).toFixed(1)} ms each): ${(100 * (1 - cpuSeconds / fullCpu)).toFixed(0)}% saved, in ${elapsedMs.toFixed(0)} ms`,
    );
    expect(cpuSeconds).toBeLessThan(fullCpu / 3);

    // Locked: even the right password waits; after the delay it works, and the success clears the count.
    // A fresh lock first (the loop may end late in one, which could run out before the next call): once any
    // lock has ended, one more wrong password is checked and locks the account for the cap, 1600 ms.
    await sleep(1600 + 20);
    expect((await failure(login("victim", "one more wrong password"))).code).toBe(status.UNAUTHENTICATED);
    const locked = await failure(login("victim", password));
    expect(locked).toMatchObject({ code: status.RESOURCE_EXHAUSTED, reason: "LOGIN_THROTTLED" });
    expect(locked.retryDelayMs).toBeGreaterThan(1000);
    await sleep(locked.retryDelayMs! + 20);
    expect((await login("victim", password)).token).toMatch(/^fm1\./);
    for (let i = 0; i < THRESHOLD; i++) expect((await failure(login("victim", "wrong again!"))).code).toBe(status.UNAUTHENTICATED);
  }, 60_000);

  it("answers an existing and a non-existent account the same: the same failures, then the same refusal and delay", async () => {
    await svc.client.createUser({ username: "exists", email: "exists@example.com", password: "a right password", roles: [] });
    // Each account's lockout starts during its last counted failure: its refusal, answered some ms after that
    // failure was sent, names what is left of the base delay.
    const elapsed = new Map<string, number>();
    const run = async (username: string) => {
      const answers = [];
      let lastFailureSentAt = 0;
      for (let i = 0; i <= THRESHOLD; i++) {
        if (i === THRESHOLD - 1) lastFailureSentAt = Date.now();
        answers.push(await failure(login(username, "wrong password!")));
      }
      elapsed.set(username, Date.now() - lastFailureSentAt);
      return answers;
    };
    const [existing, missing] = [await run("exists"), await run("never_existed")];
    const withoutDelay = (answers: Awaited<ReturnType<typeof run>>) => answers.map(({ retryDelayMs: _, ...rest }) => rest);
    expect(withoutDelay(existing)).toEqual(withoutDelay(missing));
    expect(existing.at(-1)).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      reason: "LOGIN_THROTTLED",
      message: "too many failed login attempts: retry later",
    });
    for (const [username, answers] of [
      ["exists", existing],
      ["never_existed", missing],
    ] as const) {
      expect(answers.at(-1)!.retryDelayMs).toBeGreaterThanOrEqual(BASE_DELAY_MS - elapsed.get(username)!);
      expect(answers.at(-1)!.retryDelayMs).toBeLessThanOrEqual(BASE_DELAY_MS);
    }
    // By e-mail, the same name is counted apart, whether or not it exists.
    const byEmail = await failure(
      svc.client.login({ identifier: { case: "email", value: "exists@example.com" }, password: "wrong password!" }),
    );
    expect(byEmail.code).toBe(status.UNAUTHENTICATED);
  });
});

describe("auth-svc password hashing under a login flood", () => {
  it("refuses logins beyond its hashing queue RESOURCE_EXHAUSTED PASSWORD_HASHING_BUSY, and ValidateToken keeps answering", async () => {
    // Each attempt counts against the account until it succeeds: a threshold above the flood keeps throttling out of this test.
    const busy = await startAuthService({
      ...redis.env,
      AUTH_PASSWORD_HASH_CONCURRENCY: "1",
      AUTH_PASSWORD_HASH_QUEUE: "3",
      AUTH_LOGIN_ACCOUNT_THRESHOLD: "100",
    });
    try {
      const password = "flood password!";
      await busy.client.createUser({ username: "flooded", email: "flooded@example.com", password, roles: [] });
      const { token } = await busy.client.login({ identifier: { case: "username", value: "flooded" }, password });
      const floods = Array.from({ length: 30 }, () =>
        failure(busy.client.login({ identifier: { case: "username", value: "flooded" }, password })).catch(() => ({ code: status.OK })),
      );
      const validations = Array.from({ length: 20 }, () => busy.client.validateToken({ token }));
      const codes = await Promise.all(floods);
      expect((await Promise.all(validations)).every((v) => v.tokenId !== "")).toBe(true);
      const refused = codes.filter((c) => c.code === status.RESOURCE_EXHAUSTED);
      // One running and three waiting at a time: of 30 at once, most are refused at once, with RetryInfo.
      expect(codes.filter((c) => c.code === status.OK).length).toBeGreaterThanOrEqual(4);
      expect(refused.length).toBeGreaterThan(15);
      expect(refused.every((c) => "reason" in c && c.reason === "PASSWORD_HASHING_BUSY" && c.retryDelayMs === 1000)).toBe(true);
      expect(codes.filter((c) => c.code !== status.OK && c.code !== status.RESOURCE_EXHAUSTED)).toEqual([]);
    } finally {
      await busy.stop();
    }
  }, 30_000);
});
