import { openCallScope, runInCallScope } from "@faultmaven/call-scope";
import { AbortedError, CancelledError, DeadlineExceededError, UnavailableError } from "@faultmaven/errors";
import type { ContentionPolicy } from "../src/contention-backoff.js";
import type { RedisClient } from "../src/client.js";
import { LuaScript } from "../src/lua-script.js";
import { MultiKeyStep, STALE_PLAN } from "../src/multi-key-step.js";

const WHOLE = new LuaScript("whole", "return 'whole'");
const PART = new LuaScript("part", "return 'part'");

/** A client whose script always finds its plan stale, recording when each ran. */
function alwaysStale() {
  const at: number[] = [];
  const client = {
    evalsha: async () => {
      at.push(Date.now());
      return STALE_PLAN;
    },
  } as unknown as RedisClient;
  return { client, at };
}

/** A client that records EVALSHA calls and answers from `replies` (script name -> reply queue). */
function fakeClient(replies: Record<string, unknown[]>) {
  const calls: { script: string; keys: string[] }[] = [];
  const byHash = new Map([WHOLE, PART].map((s) => [s.sha, s.name]));
  const client = {
    evalsha: async (sha: string, count: number, ...rest: unknown[]) => {
      const script = byHash.get(sha)!;
      calls.push({ script, keys: rest.slice(0, count) as string[] });
      return replies[script]!.shift();
    },
  } as unknown as RedisClient;
  return { client, calls };
}

const step = (plan: () => boolean, contention?: ContentionPolicy) =>
  new MultiKeyStep<string, string>(
    "demo",
    {
      plan: (_, input) => (plan() ? { script: WHOLE, keys: [`a:${input}`, `b:${input}`], args: [] } : undefined),
      decode: (reply) => `atomic ${String(reply)}`,
      split: async (calls, input) => {
        const first = await calls.script(PART, `a:${input}`, []);
        const second = await calls.script(PART, `b:${input}`, []);
        return `split ${String(first)} ${String(second)}`;
      },
    },
    contention,
  );

describe("MultiKeyStep", () => {
  it("runs one script with every key on standalone and Sentinel", async () => {
    for (const mode of ["standalone", "sentinel"] as const) {
      const { client, calls } = fakeClient({ whole: ["ok"] });
      expect(await step(() => true).run(client, mode, "x")).toBe("atomic ok");
      expect(calls).toEqual([{ script: "whole", keys: ["a:x", "b:x"] }]);
    }
  });

  it("runs the declared single-key sequence on Cluster, with the same result shape", async () => {
    const { client, calls } = fakeClient({ part: ["1", "2"] });
    expect(await step(() => true).run(client, "cluster", "x")).toBe("split 1 2");
    expect(calls).toEqual([
      { script: "part", keys: ["a:x"] },
      { script: "part", keys: ["b:x"] },
    ]);
  });

  it("runs the one script on Cluster too when the step has no split form (its keys share a hash tag)", async () => {
    const { client, calls } = fakeClient({ whole: ["ok"] });
    const tagged = new MultiKeyStep<string, string>("tagged", {
      plan: (_, input) => ({ script: WHOLE, keys: [`a:{${input}}`, `b:{${input}}`], args: [] }),
      decode: (reply) => `atomic ${String(reply)}`,
    });
    expect(await tagged.run(client, "cluster", "x")).toBe("atomic ok");
    expect(calls).toEqual([{ script: "whole", keys: ["a:{x}", "b:{x}"] }]);
  });

  it("falls back to the sequence on standalone when the keys cannot be planned", async () => {
    const { client, calls } = fakeClient({ part: ["1", "2"] });
    expect(await step(() => false).run(client, "standalone", "x")).toBe("split 1 2");
    expect(calls.map((c) => c.script)).toEqual(["part", "part"]);
  });

  it("plans again when the script answers that its plan went stale", async () => {
    const { client, calls } = fakeClient({ whole: [STALE_PLAN, STALE_PLAN, "ok"] });
    let plans = 0;
    expect(
      await step(() => {
        plans++;
        return true;
      }).run(client, "standalone", "x"),
    ).toBe("atomic ok");
    expect([plans, calls.length]).toEqual([3, 3]);
  });

  it("answers ABORTED with reason CONTENTION, never UNAVAILABLE, when all 100 plans of the default policy go stale", async () => {
    const { client, at } = alwaysStale();
    const error = await step(() => true)
      .run(client, "standalone", "x")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(error).not.toBeInstanceOf(UnavailableError);
    expect(error).toMatchObject({ code: "ABORTED", reason: "CONTENTION", metadata: { operation: "demo" } });
    expect(at).toHaveLength(100);
  });

  it("after the eager plans, waits before each further plan for at least its bound (base, then doubled) times the jitter", async () => {
    const { client, at } = alwaysStale();
    const started = Date.now();
    const policy = { maxPlans: 5, eagerPlans: 2, baseMs: 40, capMs: 60, jitter: () => 1 };
    await expect(step(() => true, policy).run(client, "standalone", "x")).rejects.toBeInstanceOf(AbortedError);
    expect(at).toHaveLength(5);
    const gaps = at.map((t, i) => t - (at[i - 1] ?? started));
    // Pauses before plans 3, 4 and 5: 40 ms, then 80 capped to 60, then 60 (timers may fire a millisecond early).
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    expect(gaps[3]).toBeGreaterThanOrEqual(59);
    expect(gaps[4]).toBeGreaterThanOrEqual(59);
  });

  it("plans the eager plans at once, then a deadline passing during a minute-long pause ends it, answering DEADLINE_EXCEEDED", async () => {
    const { client, at } = alwaysStale();
    const minute = { maxPlans: 100, eagerPlans: 2, baseMs: 60_000, capMs: 60_000, jitter: () => 1 };
    const opened = openCallScope(Date.now() + 50);
    const started = Date.now();
    try {
      await expect(runInCallScope(opened.scope, () => step(() => true, minute).run(client, "standalone", "x"))).rejects.toBeInstanceOf(
        DeadlineExceededError,
      );
    } finally {
      opened.close();
    }
    expect(at).toHaveLength(2);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("stops re-planning when the caller cancels during a pause, answering CANCELLED", async () => {
    const { client, at } = alwaysStale();
    const minute = { maxPlans: 100, eagerPlans: 2, baseMs: 60_000, capMs: 60_000, jitter: () => 1 };
    const opened = openCallScope(undefined);
    const running = runInCallScope(opened.scope, () => step(() => true, minute).run(client, "standalone", "x"));
    setTimeout(() => opened.cancel(), 30);
    await expect(running).rejects.toBeInstanceOf(CancelledError);
    expect(at).toHaveLength(2);
  });
});
