import { ErrorInfoSchema } from "@faultmaven/contract/rpc";
import { undecodableProblem } from "@faultmaven/grpc-kit";
import { waitFor } from "@faultmaven/test-kit";
import { OneRequestMessage } from "../src/one-request-message.js";
import { type Receiving, ReceiveDeadlines } from "../src/receive-deadlines.js";

/** A receiving call that records when the deadlines ended it. */
function receivingCall(started: number) {
  const call = { endedAfterMs: undefined as number | undefined, receiveTimedOut: () => (call.endedAfterMs = Date.now() - started) };
  return call satisfies Receiving;
}

describe("ReceiveDeadlines", () => {
  it("ends only the calls still receiving past the timeout, each once, no earlier than the timeout", async () => {
    let timeouts = 0;
    const deadlines = new ReceiveDeadlines(200, () => timeouts++);
    const started = Date.now();
    const [stalled, received, alsoStalled] = [receivingCall(started), receivingCall(started), receivingCall(started)];
    for (const call of [stalled, received, alsoStalled]) deadlines.watch(call);
    deadlines.received(received);

    await waitFor("the stalled calls to be ended", () => deadlines.size === 0, 2000);
    await new Promise((resolve) => setTimeout(resolve, 100)); // a later sweep must not end them again

    expect(timeouts).toBe(2);
    for (const call of [stalled, alsoStalled]) {
      expect(call.endedAfterMs).toBeGreaterThanOrEqual(199);
      expect(call.endedAfterMs).toBeLessThan(1000); // swept every 20 ms; loose for a shared box
    }
    expect(received.endedAfterMs).toBeUndefined();
  });

  it("keeps a call started later than the expired ones until its own deadline", async () => {
    const deadlines = new ReceiveDeadlines(150);
    const first = receivingCall(Date.now());
    deadlines.watch(first);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const later = receivingCall(Date.now());
    deadlines.watch(later);

    await waitFor("the first call to be ended", () => first.endedAfterMs !== undefined, 2000);
    expect(later.endedAfterMs).toBeUndefined();
    await waitFor("the later call to be ended", () => later.endedAfterMs !== undefined, 2000);
    expect(later.endedAfterMs).toBeGreaterThanOrEqual(149);
  });
});

describe("OneRequestMessage", () => {
  it("holds the first message and delivers it at the half-close", () => {
    const request = new OneRequestMessage(ErrorInfoSchema);
    const message = { reason: "R" };

    expect(request.received(message)).toBe("hold");
    expect(request.halfClosed()).toBe(true);
    expect(request.take()).toBe(message);
    expect(request.halfClosed()).toBe(false);
  });

  it("delivers a stand-in marked missing when the caller half-closes with no message", () => {
    const request = new OneRequestMessage(ErrorInfoSchema);

    expect(request.halfClosed()).toBe(true);
    expect(undecodableProblem(request.take())).toBe("missing");
  });

  it("delivers a stand-in marked extra at a second message at once, and drops what follows", () => {
    const request = new OneRequestMessage(ErrorInfoSchema);

    expect(request.received({ reason: "one" })).toBe("hold");
    expect(request.received({ reason: "two" })).toBe("deliver");
    expect(undecodableProblem(request.take())).toBe("extra");
    expect(request.received({ reason: "three" })).toBe("drop");
    expect(request.halfClosed()).toBe(false);
  });
});
