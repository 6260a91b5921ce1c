import { MemoryLoginAttempts } from "../src/memory/memory-login-attempts.js";
import { loginAttemptsContract } from "./login-attempts-contract.js";

loginAttemptsContract("MemoryLoginAttempts", async () => new MemoryLoginAttempts());

describe("MemoryLoginAttempts bounds", () => {
  it("keeps at most its maximum of counters, dropping the least recently counted", async () => {
    const attempts = new MemoryLoginAttempts(Date.now, 100);
    const limits = { threshold: 1, baseDelayMs: 60_000, growth: 2, maxDelayMs: 60_000, windowMs: 60_000 };
    for (let i = 0; i < 150; i++) await attempts.reserve({ kind: "username", value: `u${i}` }, limits);
    // The newest 100 are locked; the oldest were dropped and start afresh.
    expect(await attempts.reserve({ kind: "username", value: "u149" }, limits)).toBeGreaterThan(0);
    expect(await attempts.reserve({ kind: "username", value: "u50" }, limits)).toBeGreaterThan(0);
    expect(await attempts.reserve({ kind: "username", value: "u0" }, limits)).toBe(0);
  });
});
