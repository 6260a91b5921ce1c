import { ConfigError, EnvReader } from "@faultmaven/config";
import { readLoginThrottle } from "../src/config.js";
import { DEFAULT_LOGIN_THROTTLE_POLICY, lockDelayMs } from "../src/domain/login-throttle-policy.js";

describe("the login delay schedule", () => {
  const limits = { threshold: 5, baseDelayMs: 1000, growth: 2, maxDelayMs: 60_000, windowMs: 900_000 };

  it("adds no delay below the threshold, then doubles from the base delay up to the maximum", () => {
    const delays = Array.from({ length: 14 }, (_, i) => lockDelayMs(limits, i + 1));
    expect(delays).toEqual([0, 0, 0, 0, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
  });

  it("keeps the delay constant with growth 1, and at the maximum for any count however large", () => {
    expect(lockDelayMs({ ...limits, growth: 1 }, 50)).toBe(1000);
    expect(lockDelayMs({ ...limits, growth: 10 }, 100_000)).toBe(60_000);
  });
});

describe("AUTH_LOGIN_* configuration", () => {
  it("defaults to 10 failures per account, 100 per source, 1 s doubling to 15 min, a 15 min window", () => {
    expect(readLoginThrottle(new EnvReader({}))).toEqual(DEFAULT_LOGIN_THROTTLE_POLICY);
    expect(DEFAULT_LOGIN_THROTTLE_POLICY).toEqual({
      accountThreshold: 10,
      sourceThreshold: 100,
      baseDelayMs: 1000,
      growth: 2,
      maxDelayMs: 900_000,
      windowMs: 900_000,
    });
  });

  it("reads every variable", () => {
    const env = new EnvReader({
      AUTH_LOGIN_ACCOUNT_THRESHOLD: "3",
      AUTH_LOGIN_SOURCE_THRESHOLD: "30",
      AUTH_LOGIN_BASE_DELAY_MS: "200",
      AUTH_LOGIN_DELAY_GROWTH: "3",
      AUTH_LOGIN_MAX_DELAY_MS: "5000",
      AUTH_LOGIN_WINDOW_MS: "60000",
    });
    expect(readLoginThrottle(env)).toEqual({
      accountThreshold: 3,
      sourceThreshold: 30,
      baseDelayMs: 200,
      growth: 3,
      maxDelayMs: 5000,
      windowMs: 60_000,
    });
  });

  it.each([
    ["AUTH_LOGIN_ACCOUNT_THRESHOLD", "0"],
    ["AUTH_LOGIN_SOURCE_THRESHOLD", "many"],
    ["AUTH_LOGIN_BASE_DELAY_MS", "-1"],
    ["AUTH_LOGIN_DELAY_GROWTH", "1.5"],
    ["AUTH_LOGIN_WINDOW_MS", "10"],
  ])("refuses %s=%s, naming the variable", (variable, value) => {
    expect(() => readLoginThrottle(new EnvReader({ [variable]: value }))).toThrow(new RegExp(`^${variable}: expected an integer`));
  });

  it("refuses a maximum delay below the base delay", () => {
    const env = new EnvReader({ AUTH_LOGIN_BASE_DELAY_MS: "5000", AUTH_LOGIN_MAX_DELAY_MS: "1000" });
    expect(() => readLoginThrottle(env)).toThrow(ConfigError);
    expect(() => readLoginThrottle(env)).toThrow("AUTH_LOGIN_MAX_DELAY_MS: must not be below AUTH_LOGIN_BASE_DELAY_MS");
  });
});
