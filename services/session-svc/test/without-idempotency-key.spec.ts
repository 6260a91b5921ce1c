import { currentCallScope, openCallScope, runInCallScope, withIdempotency } from "@faultmaven/call-scope";
import { CancelledError } from "@faultmaven/errors";
import { backOff } from "@faultmaven/redis";
import { withoutIdempotencyKey } from "../src/redis/without-idempotency-key.js";

/** A served call's scope (an EndingScope, its signal a prototype getter) with an idempotency key, as bindIdempotencyKeys makes it. */
function keyedCall() {
  const opened = openCallScope(Date.now() + 60_000);
  const scope = withIdempotency(opened.scope, { name: "CreateSession:k1", fingerprint: "f", windowMs: 1000 });
  return { opened, scope };
}

describe("withoutIdempotencyKey on a served call's scope", () => {
  it("keeps the scope's signal (CallScope promises one)", () => {
    const { scope } = keyedCall();
    const signal = runInCallScope(scope, () => withoutIdempotencyKey(() => currentCallScope()!.signal));
    expect(signal).toBeInstanceOf(AbortSignal);
  });

  it("lets a cancel cut short a contention back-off pause inside it", async () => {
    const { opened, scope } = keyedCall();
    // A long pause (jitter 1, a 5 s cap) so that only the call's end can end it early.
    const policy = { maxPlans: 100, eagerPlans: 0, baseMs: 5000, capMs: 5000, jitter: () => 1 };
    const started = Date.now();
    const paused = runInCallScope(scope, () => withoutIdempotencyKey(() => backOff(policy, 0)));
    setTimeout(() => opened.cancel(), 20);
    await expect(paused).rejects.toBeInstanceOf(CancelledError);
    opened.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
