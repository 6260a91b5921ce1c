import { AsyncLocalStorage } from "node:async_hooks";
import { CancelledError, DeadlineExceededError } from "@faultmaven/errors";
import { callOverError, currentCallScope, openCallScope, outsideCallScope, runInCallScope, scopedSignal } from "@faultmaven/call-scope";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("openCallScope", () => {
  it("aborts its signal with a DeadlineExceededError when the deadline passes", async () => {
    const opened = openCallScope(Date.now() + 30);
    expect(opened.scope.signal.aborted).toBe(false);
    await sleep(60);
    expect(opened.scope.signal.reason).toBeInstanceOf(DeadlineExceededError);
    opened.close();
  });

  it("is aborted from the start when the deadline has already passed", () => {
    const opened = openCallScope(Date.now() - 1);
    expect(opened.scope.signal.reason).toBeInstanceOf(DeadlineExceededError);
  });

  it("aborts with a CancelledError when cancelled before the deadline", () => {
    const opened = openCallScope(Date.now() + 10_000);
    opened.cancel();
    expect(opened.scope.signal.reason).toBeInstanceOf(CancelledError);
    opened.close();
  });

  it("names a cancellation that comes after the deadline a DeadlineExceededError (grpc-js reports expiry as a cancel)", async () => {
    const opened = openCallScope(Date.now() + 20);
    opened.close(); // no timer: only the cancel can abort it
    await sleep(40);
    expect(opened.scope.signal.aborted).toBe(false);
    opened.cancel();
    expect(opened.scope.signal.reason).toBeInstanceOf(DeadlineExceededError);
  });

  it("names a cancellation just before the deadline (the caller's own deadline timer) a DeadlineExceededError", () => {
    const opened = openCallScope(Date.now() + 50);
    opened.cancel();
    expect(opened.scope.signal.reason).toBeInstanceOf(DeadlineExceededError);
    opened.close();
  });

  it("never aborts after close when it has no deadline and no cancel", async () => {
    const opened = openCallScope(undefined);
    opened.close();
    await sleep(20);
    expect(opened.scope.signal.aborted).toBe(false);
  });
});

describe("the current call scope", () => {
  it("follows async work started inside it, and is absent outside and in outsideCallScope", async () => {
    const { scope } = openCallScope(undefined);
    expect(currentCallScope()).toBeUndefined();
    const seen = await runInCallScope(scope, async () => {
      await sleep(1);
      const inside = currentCallScope();
      const escaped = await outsideCallScope(async () => {
        await sleep(1);
        return currentCallScope();
      });
      return { inside, escaped };
    });
    expect(seen.inside).toBe(scope);
    expect(seen.escaped).toBeUndefined();
  });

  it("is left by outsideCallScope without AsyncLocalStorage.exit (on Node 20 it turns the process's promise hooks off and on)", () => {
    const exit = AsyncLocalStorage.prototype.exit;
    let exits = 0;
    AsyncLocalStorage.prototype.exit = function (this: AsyncLocalStorage<unknown>, ...args: Parameters<typeof exit>) {
      exits++;
      return exit.apply(this, args);
    } as typeof exit;
    try {
      const { scope } = openCallScope(undefined);
      const escaped = runInCallScope(scope, () => outsideCallScope(() => currentCallScope()));
      expect(escaped).toBeUndefined();
      expect(exits).toBe(0);
    } finally {
      AsyncLocalStorage.prototype.exit = exit;
    }
  });
});

describe("callOverError", () => {
  it("is undefined outside a call and while the call is live", () => {
    expect(callOverError(undefined)).toBeUndefined();
    const opened = openCallScope(Date.now() + 10_000);
    expect(callOverError(opened.scope)).toBeUndefined();
    opened.close();
  });

  it("reports a passed deadline before the timer fires, with the given cause", () => {
    const scope = { deadline: Date.now() - 5, signal: new AbortController().signal };
    const cause = new Error("redis GET not sent");
    const error = callOverError(scope, cause);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(error?.cause).toBe(cause);
  });

  it("gives a fresh CancelledError for a cancelled call", () => {
    const opened = openCallScope(undefined);
    opened.cancel();
    const first = callOverError(opened.scope);
    expect(first).toBeInstanceOf(CancelledError);
    expect(callOverError(opened.scope)).not.toBe(first);
  });
});

describe("scopedSignal", () => {
  it("aborts at the fixed timeout outside a call", async () => {
    const signal = scopedSignal(20, undefined);
    await sleep(50);
    expect(signal.aborted).toBe(true);
  });

  it("aborts with the call when the call ends before the timeout", () => {
    const opened = openCallScope(undefined);
    const signal = scopedSignal(10_000, opened.scope);
    opened.cancel();
    expect(signal.reason).toBeInstanceOf(CancelledError);
  });
});
