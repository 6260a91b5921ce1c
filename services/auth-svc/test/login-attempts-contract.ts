import type { AttemptCounter, LoginAttempts } from "../src/domain/login-attempts.js";
import type { CounterLimits } from "../src/domain/login-throttle-policy.js";

/** Makes fresh counters (they may share a backend with earlier ones; names are unique per test). */
export type LoginAttemptsFactory = () => Promise<LoginAttempts>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const fresh = (kind: AttemptCounter["kind"] = "username"): AttemptCounter => ({ kind, value: `who${process.pid}x${++counter}` });
/** Threshold 3, then 300 ms, 600 ms, 1200 ms (the cap), forgotten 2 s after the last count. */
const LIMITS: CounterLimits = { threshold: 3, baseDelayMs: 300, growth: 2, maxDelayMs: 1200, windowMs: 2000 };

/** The behaviour every LoginAttempts must have: Redis and memory alike. */
export function loginAttemptsContract(name: string, makeAttempts: LoginAttemptsFactory): void {
  describe(`${name}: LoginAttempts contract`, () => {
    let attempts: LoginAttempts;
    beforeAll(async () => {
      attempts = await makeAttempts();
    });
    afterAll(async () => {
      await attempts.close();
    });

    const reserveMany = (who: AttemptCounter, n: number, limits = LIMITS) =>
      Promise.all(Array.from({ length: n }, () => attempts.reserve(who, limits)));

    it("lets attempts through up to the threshold, the last of them locking the counter for the base delay", async () => {
      const who = fresh();
      expect(await reserveMany(who, 3)).toEqual([0, 0, 0]);
      const wait = await attempts.reserve(who, LIMITS);
      expect(wait).toBeGreaterThan(200);
      expect(wait).toBeLessThanOrEqual(300);
    });

    it("grows the delay with each attempt let through past the threshold, up to the maximum; refusals count nothing", async () => {
      const who = fresh();
      await reserveMany(who, 3);
      const delays: number[] = [];
      for (let i = 0; i < 3; i++) {
        let wait = await attempts.reserve(who, LIMITS);
        // Refused attempts meanwhile must not make the next delay longer.
        expect(await reserveMany(who, 5)).toEqual(expect.not.arrayContaining([0]));
        while (wait > 0) {
          await sleep(wait + 5);
          wait = await attempts.reserve(who, LIMITS);
        }
        delays.push(await attempts.reserve(who, LIMITS));
      }
      // After failures 4, 5, 6: 600, 1200, then capped at 1200.
      expect(delays[0]).toBeGreaterThan(500);
      expect(delays[0]).toBeLessThanOrEqual(600);
      expect(delays[1]).toBeGreaterThan(1100);
      expect(delays[1]).toBeLessThanOrEqual(1200);
      expect(delays[2]).toBeGreaterThan(1100);
      expect(delays[2]).toBeLessThanOrEqual(1200);
    }, 20_000);

    it("lets exactly `threshold` of 50 concurrent attempts through", async () => {
      const who = fresh();
      const waits = await reserveMany(who, 50);
      expect(waits.filter((wait) => wait === 0)).toHaveLength(3);
      expect(waits.filter((wait) => wait > 0)).toHaveLength(47);
    });

    it("keeps counters apart by kind and value", async () => {
      const who = fresh("username");
      await reserveMany(who, 3);
      expect(await attempts.reserve(who, LIMITS)).toBeGreaterThan(0);
      expect(await attempts.reserve({ kind: "email", value: who.value }, LIMITS)).toBe(0);
      expect(await attempts.reserve({ kind: "source", value: who.value }, LIMITS)).toBe(0);
      expect(await attempts.reserve(fresh(), LIMITS)).toBe(0);
    });

    it("forgets a counter on reset", async () => {
      const who = fresh();
      await reserveMany(who, 3);
      await attempts.reset(who);
      expect(await reserveMany(who, 3)).toEqual([0, 0, 0]);
    });

    it("takes a refunded attempt back, lifting the lock once below the threshold", async () => {
      const who = fresh("source");
      await reserveMany(who, 3);
      expect(await attempts.reserve(who, LIMITS)).toBeGreaterThan(0);
      await attempts.refund(who, LIMITS);
      // Two counted now: one more is let through, and it locks again.
      expect(await attempts.reserve(who, LIMITS)).toBe(0);
      expect(await attempts.reserve(who, LIMITS)).toBeGreaterThan(0);
      // Refunding an unknown counter does nothing.
      await attempts.refund(fresh("source"), LIMITS);
    });

    it("forgets a counter a window after its last count", async () => {
      const who = fresh();
      const limits = { ...LIMITS, windowMs: 300 };
      await reserveMany(who, 2, limits);
      await sleep(400);
      // Counting from zero again: two more are let through before the third locks.
      expect(await reserveMany(who, 3, limits)).toEqual([0, 0, 0]);
      expect(await attempts.reserve(who, limits)).toBeGreaterThan(0);
    });
  });
}
