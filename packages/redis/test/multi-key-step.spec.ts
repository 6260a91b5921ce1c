import { UnavailableError } from "@faultmaven/errors";
import type { RedisClient } from "../src/client.js";
import { LuaScript } from "../src/lua-script.js";
import { MultiKeyStep, STALE_PLAN } from "../src/multi-key-step.js";

const WHOLE = new LuaScript("whole", "return 'whole'");
const PART = new LuaScript("part", "return 'part'");

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

const step = (plan: () => boolean) =>
  new MultiKeyStep<string, string>("demo", {
    plan: (_, input) => (plan() ? { script: WHOLE, keys: [`a:${input}`, `b:${input}`], args: [] } : undefined),
    decode: (reply) => `atomic ${String(reply)}`,
    split: async (calls, input) => {
      const first = await calls.script(PART, `a:${input}`, []);
      const second = await calls.script(PART, `b:${input}`, []);
      return `split ${String(first)} ${String(second)}`;
    },
  });

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

  it("answers UNAVAILABLE (retryable) when every plan keeps going stale", async () => {
    const { client } = fakeClient({ whole: Array.from({ length: 200 }, () => STALE_PLAN) });
    await expect(step(() => true).run(client, "standalone", "x")).rejects.toBeInstanceOf(UnavailableError);
  });
});
