import { createHook } from "node:async_hooks";
import { freePort } from "../src/free-port.js";
import { redisAnswers } from "../src/redis-answers.js";

/**
 * Runs `action` and returns the timers it set that are still pending and
 * keep the process alive (a ref'd timer left behind delays Jest's exit).
 */
async function timersLeftBy(action: () => Promise<unknown>): Promise<number> {
  const pending = new Map<number, { hasRef(): boolean }>();
  const hook = createHook({
    init(id, type, _trigger, resource) {
      if (type === "Timeout") pending.set(id, resource as { hasRef(): boolean });
    },
    destroy(id) {
      pending.delete(id);
    },
  }).enable();
  try {
    await action().catch(() => {});
    return [...pending.values()].filter((timer) => timer.hasRef()).length;
  } finally {
    hook.disable();
  }
}

it("a probe of a port nobody listens on leaves no timer holding the process open", async () => {
  const nobody = await freePort();
  expect(await timersLeftBy(() => redisAnswers(nobody))).toBe(0);
});
