import { runInCallScope } from "@faultmaven/call-scope";
import { MemoryIdempotency } from "../src/memory/memory-idempotency.js";

const call = <T>(name: string, work: () => Promise<T>) =>
  runInCallScope(
    { deadline: undefined, signal: new AbortController().signal, idempotency: { name, fingerprint: "f".repeat(64), windowMs: 1000 } },
    work,
  );

describe("MemoryIdempotency", () => {
  it("answers a retry within the window from the first answer, and acts again once the window has passed", async () => {
    let now = 0;
    const idempotency = new MemoryIdempotency(() => now);
    let acted = 0;
    const act = () => idempotency.once("anchor", async () => ++acted);
    expect(await call("M:k", act)).toBe(1);
    now = 999;
    expect(await call("M:k", act)).toBe(1);
    now = 1000;
    expect(await call("M:k", act)).toBe(2);
  });

  it("keeps neither failures nor undefined answers, and acts every time without a key", async () => {
    const idempotency = new MemoryIdempotency(() => 0);
    let acted = 0;
    const fail = () => idempotency.once("anchor", () => Promise.reject(new Error(`failure ${++acted}`)));
    await expect(call("M:fail", fail)).rejects.toThrow("failure 1");
    await expect(call("M:fail", fail)).rejects.toThrow("failure 2");
    const nothing = () => idempotency.once("anchor", async () => void acted++);
    await call("M:none", nothing);
    await call("M:none", nothing);
    expect(acted).toBe(4);
    await idempotency.once("anchor", async () => acted++);
    await idempotency.once("anchor", async () => acted++);
    expect(acted).toBe(6);
  });
});
