import { openCallScope, runInCallScope } from "@faultmaven/call-scope";
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
    const slots = new HashingSlots({ concurrency: 2, queue: 10, accountQueue: 4 });
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      slots.run("login", async () => {
        started.push(i);
        await g.opened;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect([slots.running, slots.waiting()]).toEqual([2, 3]);
    gates[1]!.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect([slots.running, slots.waiting()]).toEqual([0, 0]);
  });

  it("refuses PASSWORD_HASHING_BUSY at once when the queue is full, and counts only the runs that started", async () => {
    let runs = 0;
    const slots = new HashingSlots({ concurrency: 1, queue: 2, accountQueue: 4 }, () => runs++);
    const g = gate();
    const accepted = [1, 2, 3].map(() => slots.run("login", () => g.opened));
    const refused = slots.run("login", async () => "never");
    await expect(refused).rejects.toBeInstanceOf(PasswordHashingBusyError);
    await expect(refused).rejects.toMatchObject({ code: "RESOURCE_EXHAUSTED", reason: "PASSWORD_HASHING_BUSY" });
    expect(runs).toBe(1);
    g.open();
    await Promise.all(accepted);
    expect(runs).toBe(3);
  });

  it("drops a waiting run whose call is cancelled or past its deadline, without running it", async () => {
    const slots = new HashingSlots({ concurrency: 1, queue: 10, accountQueue: 4 });
    const g = gate();
    const first = slots.run("login", () => g.opened);
    const cancel = new AbortController();
    let ran = false;
    const cancelled = runInCallScope({ deadline: undefined, signal: cancel.signal }, () => slots.run("login", async () => (ran = true)));
    const late = runInCallScope({ deadline: Date.now() + 50, signal: AbortSignal.timeout(50) }, () =>
      slots.run("login", async () => (ran = true)),
    );
    const after = slots.run("login", async () => "after");
    await tick();
    expect(slots.waiting()).toBe(3);
    cancel.abort(new CancelledError());
    await expect(cancelled).rejects.toBeInstanceOf(CancelledError);
    await expect(late).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(slots.waiting()).toBe(1);
    g.open();
    await first;
    expect(await after).toBe("after");
    expect(ran).toBe(false);
  });

  it("refuses at once a run whose call is already over", async () => {
    const slots = new HashingSlots({ concurrency: 1, queue: 10, accountQueue: 4 });
    const g = gate();
    const first = slots.run("login", () => g.opened);
    const over = runInCallScope({ deadline: Date.now() - 1, signal: new AbortController().signal }, () =>
      slots.run("login", async () => "x"),
    );
    await expect(over).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(slots.waiting()).toBe(0);
    g.open();
    await first;
  });

  it("lets account runs in while the login queue is full, and gives each freed slot to the account queue first", async () => {
    const lanes: string[] = [];
    const slots = new HashingSlots({ concurrency: 1, queue: 3, accountQueue: 2 }, (lane) => lanes.push(lane));
    const g = gate();
    const held = slots.run("login", () => g.opened);
    const logins = [1, 2, 3].map((i) => slots.run("login", async () => `login ${i}`));
    await expect(slots.run("login", async () => "never")).rejects.toBeInstanceOf(PasswordHashingBusyError);
    const accounts = [1, 2].map((i) => slots.run("account", async () => `account ${i}`));
    await tick();
    expect([slots.waiting("login"), slots.waiting("account")]).toEqual([3, 2]);
    g.open();
    await held;
    expect(await Promise.all(accounts)).toEqual(["account 1", "account 2"]);
    expect(await Promise.all(logins)).toEqual(["login 1", "login 2", "login 3"]);
    expect(lanes).toEqual(["login", "account", "account", "login", "login", "login"]);
    expect([slots.running, slots.waiting()]).toEqual([0, 0]);
  });

  it("bounds the account queue by itself: one account run more is refused PASSWORD_HASHING_BUSY, and logins still queue", async () => {
    const slots = new HashingSlots({ concurrency: 1, queue: 2, accountQueue: 1 });
    const g = gate();
    const held = slots.run("account", () => g.opened);
    const waiting = slots.run("account", async () => "waiting");
    await expect(slots.run("account", async () => "never")).rejects.toMatchObject({ reason: "PASSWORD_HASHING_BUSY" });
    const login = slots.run("login", async () => "login");
    await tick();
    expect([slots.waiting("account"), slots.waiting("login")]).toEqual([1, 1]);
    g.open();
    await held;
    expect([await waiting, await login]).toEqual(["waiting", "login"]);
  });

  it("gives a waiting login every fourth slot while account runs keep coming, so a stream of them cannot hold logins past their deadline", async () => {
    const lanes: string[] = [];
    const slots = new HashingSlots({ concurrency: 1, queue: 4, accountQueue: 8 }, (lane) => lanes.push(lane));
    const g = gate();
    const held = slots.run("account", () => g.opened);
    const logins = [1, 2].map((i) => slots.run("login", async () => `login ${i}`));
    // More account work than any streak: eight queued behind the running one.
    const accounts = Array.from({ length: 8 }, (_, i) => slots.run("account", async () => `account ${i + 1}`));
    await tick();
    g.open();
    await held;
    await Promise.all([...logins, ...accounts]);
    expect(lanes).toEqual([
      "account",
      ...["account", "account", "account", "login"],
      ...["account", "account", "account", "login"],
      ...["account", "account"],
    ]);
  });

  it("ends a login on time under a steady stream of account runs (a caller cycling ChangePassword): it runs before its deadline", async () => {
    const slots = new HashingSlots({ concurrency: 1, queue: 8, accountQueue: 2 });
    let stop = false;
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const accountLoop = async () => {
      while (!stop) await slots.run("account", () => pause(5)).catch(() => undefined);
    };
    const loops = [accountLoop(), accountLoop()];
    await pause(10);
    const { scope, close } = openCallScope(Date.now() + 300);
    const login = runInCallScope(scope, () => slots.run("login", async () => "ran"));
    const outcome = await login.catch((error: Error) => error.constructor.name);
    close();
    stop = true;
    await Promise.all(loops);
    expect(outcome).toBe("ran");
  });
});
