import { CancelledError, DeadlineExceededError } from "@faultmaven/errors";
import { CallEnd, onCallEnd, openCallScope, withIdempotency } from "@faultmaven/call-scope";

describe("CallEnd", () => {
  it("calls each listener once, at the end, with the reason set", () => {
    const end = new CallEnd();
    const seen: unknown[] = [];
    end.onEnd(() => seen.push(end.reason));
    end.onEnd(() => seen.push("second"));
    expect(end.ended).toBe(false);
    const reason = new CancelledError();
    end.end(reason);
    end.end(new DeadlineExceededError());
    expect(end.ended).toBe(true);
    expect(seen).toEqual([reason, "second"]);
    expect(end.reason).toBe(reason);
  });

  it("never calls a listener that stopped listening, nor one added after the end", () => {
    const end = new CallEnd();
    const calls: string[] = [];
    end.onEnd(() => calls.push("stopped"))();
    end.end(new CancelledError());
    end.onEnd(() => calls.push("late"));
    expect(calls).toEqual([]);
  });

  it("makes its signal on first use, aborted with the reason whether asked before or after the end", () => {
    const before = new CallEnd();
    const early = before.signal;
    expect(early.aborted).toBe(false);
    const reason = new DeadlineExceededError();
    before.end(reason);
    expect(early.reason).toBe(reason);
    expect(before.signal).toBe(early);

    const after = new CallEnd();
    after.end(reason);
    expect(after.signal.aborted).toBe(true);
    expect(after.signal.reason).toBe(reason);
  });
});

describe("a call scope's end", () => {
  it("reaches onCallEnd listeners of the scope and of its idempotent copy, and their signal", () => {
    const opened = openCallScope(Date.now() + 10_000);
    const keyed = withIdempotency(opened.scope, { name: "AppendMessage:k1", fingerprint: "f", windowMs: 1000 });
    const ends: string[] = [];
    onCallEnd(opened.scope, () => ends.push("scope"));
    onCallEnd(keyed, () => ends.push("keyed"));
    opened.cancel();
    opened.close();
    expect(ends).toEqual(["scope", "keyed"]);
    expect(keyed.signal.reason).toBeInstanceOf(CancelledError);
    expect(keyed.idempotency?.name).toBe("AppendMessage:k1");
  });

  it("falls back to the signal of a scope made by hand", () => {
    const controller = new AbortController();
    let calls = 0;
    onCallEnd({ deadline: undefined, signal: controller.signal }, () => calls++);
    controller.abort(new CancelledError());
    expect(calls).toBe(1);
  });
});
