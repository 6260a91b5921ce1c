import { CancelledError } from "@faultmaven/errors";
import { CallEnd } from "@faultmaven/call-scope";

describe("CallEnd listeners that stop listening while the call ends", () => {
  it("still calls the next listener when one stops listening from inside its own call (as an AbortSignal does)", () => {
    const end = new CallEnd();
    const calls: string[] = [];
    const stopFirst = end.onEnd(() => {
      calls.push("first");
      stopFirst();
    });
    end.onEnd(() => calls.push("second"));
    end.onEnd(() => calls.push("third"));
    end.end(new CancelledError());
    expect(calls).toEqual(["first", "second", "third"]);
  });

  it("does so the same way an AbortSignal does", () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const first = () => {
      calls.push("first");
      controller.signal.removeEventListener("abort", first);
    };
    controller.signal.addEventListener("abort", first);
    controller.signal.addEventListener("abort", () => calls.push("second"));
    controller.signal.addEventListener("abort", () => calls.push("third"));
    controller.abort(new CancelledError());
    expect(calls).toEqual(["first", "second", "third"]);
  });
});
