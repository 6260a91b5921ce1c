import type { SessionEvent } from "../src/domain/session-event.js";
import { BufferBudget } from "../src/watch/buffer-budget.js";
import { Watcher } from "../src/watch/watcher.js";

const change = (version: number): SessionEvent => ({
  kind: "updated",
  version,
  at: 0,
  expiresAt: 0,
  caseId: undefined,
  contextCleared: false,
  setContext: {},
  removedContextKeys: [],
});
const touch = (version: number): SessionEvent => ({ kind: "touched", version, at: 0, expiresAt: 0 });
const limits = { bufferEvents: 4, bufferBytes: 1000 };

/** The gap check and buffer bound of one watcher. */
describe("Watcher", () => {
  it("asks for a snapshot first, then hands out the changes after it and drops what it covers", async () => {
    const watcher = new Watcher(false, limits, new BufferBudget(1e9));
    watcher.offer(change(5), 10);
    expect(await watcher.next()).toEqual({ resync: true });
    watcher.resynced(5);
    watcher.offer(change(6), 10);
    expect(await watcher.next()).toEqual({ event: change(6) });
  });

  it("drops a repeated version, and on a version jump asks for a snapshot before what still waits (the snapshot covers it)", async () => {
    const watcher = new Watcher(false, limits, new BufferBudget(1e9));
    watcher.resynced(1);
    watcher.offer(change(2), 10);
    watcher.offer(change(2), 10);
    expect(await watcher.next()).toEqual({ event: change(2) });
    watcher.offer(change(3), 10);
    watcher.offer(change(5), 10);
    expect(await watcher.next()).toEqual({ resync: true });
    watcher.resynced(4);
    watcher.offer(change(5), 10);
    expect(await watcher.next()).toEqual({ event: change(5) });
  });

  it("passes touches of the current version only when asked, and takes a touch of a later version for a gap", async () => {
    const quiet = new Watcher(false, limits, new BufferBudget(1e9));
    quiet.resynced(3);
    quiet.offer(touch(3), 10);
    quiet.offer(change(4), 10);
    expect(await quiet.next()).toEqual({ event: change(4) });
    const touches = new Watcher(true, limits, new BufferBudget(1e9));
    touches.resynced(3);
    touches.offer(touch(3), 10);
    expect(await touches.next()).toEqual({ event: touch(3) });
    touches.offer(touch(5), 10);
    expect(await touches.next()).toEqual({ resync: true });
  });

  it("gives up its buffer for a snapshot when a reader falls past the event or byte bound", async () => {
    const byCount = new Watcher(false, limits, new BufferBudget(1e9));
    byCount.resynced(0);
    for (let v = 1; v <= 5; v++) byCount.offer(change(v), 10);
    expect(await byCount.next()).toEqual({ resync: true });
    byCount.resynced(5);
    byCount.offer(change(6), 10);
    expect(await byCount.next()).toEqual({ event: change(6) });
    const byBytes = new Watcher(false, limits, new BufferBudget(1e9));
    byBytes.resynced(0);
    byBytes.offer(change(1), 600);
    byBytes.offer(change(2), 600);
    expect(await byBytes.next()).toEqual({ resync: true });
  });

  it("fails its reader at once when ended with an error, and ends after its events otherwise", async () => {
    const failed = new Watcher(false, limits, new BufferBudget(1e9));
    failed.resynced(0);
    failed.offer(change(1), 10);
    failed.end(new Error("lost"));
    await expect(failed.next()).rejects.toThrow("lost");
    const ended = new Watcher(false, limits, new BufferBudget(1e9));
    ended.resynced(0);
    ended.offer(change(1), 10);
    ended.end();
    expect(await ended.next()).toEqual({ event: change(1) });
    expect(await ended.next()).toEqual({ end: true });
  });

  it("gives up its buffer for a snapshot when the shared budget cannot take its next event, and gives back what it held", async () => {
    const budget = new BufferBudget(100);
    const hog = new Watcher(false, limits, budget);
    hog.resynced(0);
    hog.offer(change(1), 80);
    const starved = new Watcher(false, limits, budget);
    starved.resynced(0);
    starved.offer(change(1), 30);
    expect(await starved.next()).toEqual({ resync: true });
    expect(budget.used).toBe(80);
    expect(await hog.next()).toEqual({ event: change(1) });
    expect(budget.used).toBe(0);
    hog.offer(change(2), 60);
    hog.release();
    expect(budget.used).toBe(0);
  });

  it("reads again after a snapshot older than a change it dropped for a bound", async () => {
    const watcher = new Watcher(false, { bufferEvents: 1, bufferBytes: 1000 }, new BufferBudget(1e9));
    watcher.resynced(0);
    watcher.offer(change(1), 10);
    watcher.offer(change(2), 10);
    expect(await watcher.next()).toEqual({ resync: true });
    watcher.resynced(1);
    expect(await watcher.next()).toEqual({ resync: true });
    watcher.resynced(2);
    watcher.offer(change(3), 10);
    expect(await watcher.next()).toEqual({ event: change(3) });
  });

  it("asks for a snapshot on a reported gap, and for one more when the gap came while a snapshot was being read", async () => {
    const watcher = new Watcher(false, limits, new BufferBudget(1e9));
    watcher.resynced(1);
    watcher.offer(change(2), 10);
    watcher.gap();
    expect(await watcher.next()).toEqual({ resync: true });
    watcher.gap();
    watcher.resynced(3);
    expect(await watcher.next()).toEqual({ resync: true });
    watcher.resynced(3);
    watcher.offer(change(4), 10);
    expect(await watcher.next()).toEqual({ event: change(4) });
  });
});
