import { runInCallScope } from "@faultmaven/call-scope";
import { CancelledError, DeadlineExceededError } from "@faultmaven/errors";
import { PasswordHashingBusyError } from "../src/domain/errors.js";
import { HashingSlots } from "../src/domain/hashing-slots.js";

/** A unit of work the test finishes by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("HashingSlots", () => {
  it("runs at most `concurrency` at once and starts the waiting ones first come, first served", async () => {
    const slots = new HashingSlots({ concurrency: 2, queue: 10 });
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      slots.run(async () => {
        started.push(i);
        await g.opened;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect([slots.running, slots.waiting]).toEqual([2, 3]);
    gates[1]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect([slots.running, slots.waiting]).toEqual([0, 0]);
  });

  it("refuses PASSWORD_HASHING_BUSY at once when the queue is full, and counts only the runs that started", async () => {
    let runs = 0;
    const slots = new HashingSlots({ concurrency: 1, queue: 2 }, () => runs++);
    const g = gate();
    const accepted = [1, 2, 3].map(() => slots.run(() => g.opened));
    const refused = slots.run(async () => "never");
    await expect(refused).rejects.toBeInstanceOf(PasswordHashingBusyError);
    await expect(refused).rejects.toMatchObject({ code: "RESOURCE_EXHAUSTED", reason: "PASSWORD_HASHING_BUSY" });
    expect(runs).toBe(1);
    g.open();
    await Promise.all(accepted);
    expect(runs).toBe(3);
  });

  it("drops a waiting run whose call is cancelled or past its deadline, without running it", async () => {
    const slots = new HashingSlots({ concurrency: 1, queue: 10 });
    const g = gate();
    const first = slots.run(() => g.opened);
    const cancel = new AbortController();
    let ran = false;
    const cancelled = runInCallScope({ deadline: undefined, signal: cancel.signal }, () => slots.run(async () => (ran = true)));
    const late = runInCallScope({ deadline: Date.now() + 50, signal: AbortSignal.timeout(50) }, () => slots.run(async () => (ran = true)));
    const after = slots.run(async () => "after");
    await tick();
    expect(slots.waiting).toBe(3);
    cancel.abort(new CancelledError());
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
    await expect(late).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(slots.waiting).toBe(1);
    g.open();
    await first;
    expect(await after).toBe("after");
    expect(ran).toBe(false);
  });

  it("refuses at once a run whose call is already over", async () => {
    const slots = new HashingSlots({ concurrency: 1, queue: 10 });
    const g = gate();
    const first = slots.run(() => g.opened);
    const over = runInCallScope({ deadline: Date.now() - 1, signal: new AbortController().signal }, () => slots.run(async () => "x"));
    await expect(over).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(slots.waiting).toBe(0);
    g.open();
    await first;
  });
});
