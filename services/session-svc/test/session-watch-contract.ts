import { ResourceExhaustedError } from "@faultmaven/errors";
import { SESSION_LIMITS } from "../src/domain/session-limits.js";
import { SessionNotFoundError } from "../src/domain/errors.js";
import type { SessionPolicy } from "../src/domain/session.js";
import type { SessionEvent } from "../src/domain/session-event.js";
import type { SessionStore } from "../src/domain/session-store.js";
import { DEFAULT_WATCH_LIMITS, type WatchLimits } from "../src/watch/watch-limits.js";

/** Makes a fresh store with the given policy and watch limits. */
export type WatchStoreFactory = (policy: SessionPolicy, limits: WatchLimits) => Promise<SessionStore>;

const POLICY: SessionPolicy = { idleTtlMs: 60_000, maxLifetimeMs: 0, maxMessages: 100, limits: SESSION_LIMITS };
let counter = 0;
const unique = (prefix: string) => `${prefix}_${process.pid}_${++counter}`;

/** A watch read step by step: `take(n)` waits (bounded) for the next n events. */
export class WatchReader {
  readonly #iterator: AsyncIterator<SessionEvent>;
  readonly controller = new AbortController();

  constructor(store: SessionStore, sessionId: string, options: { fromVersion?: number; includeTouches?: boolean } = {}) {
    this.#iterator = store.watch(sessionId, { includeTouches: false, ...options, signal: this.controller.signal })[Symbol.asyncIterator]();
  }

  async next(timeoutMs = 5000): Promise<IteratorResult<SessionEvent>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no watch event within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.#iterator.next(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async take(n: number, timeoutMs = 5000): Promise<SessionEvent[]> {
    const events: SessionEvent[] = [];
    while (events.length < n) {
      const step = await this.next(timeoutMs);
      if (step.done) break;
      events.push(step.value);
    }
    return events;
  }

  cancel(): void {
    this.controller.abort();
  }
}

/** The watch behaviour every SessionStore must have (docs/operations.md "WatchSession"). */
export function sessionWatchContract(name: string, makeStore: WatchStoreFactory): void {
  describe(`${name}: WatchSession contract`, () => {
    const stores: SessionStore[] = [];
    const open = async (policy: Partial<SessionPolicy> = {}, limits: Partial<WatchLimits> = {}) => {
      const store = await makeStore({ ...POLICY, ...policy }, { ...DEFAULT_WATCH_LIMITS, ...limits });
      stores.push(store);
      return store;
    };
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
    });
    const create = async (store: SessionStore) =>
      (await store.createOrResume({ userId: unique("wu"), clientId: unique("wc"), caseId: "", context: { a: "1" } })).session;

    it("opens with a snapshot, then sends every change with the next version, and ends after the delete", async () => {
      const store = await open();
      const session = await create(store);
      expect(session.version).toBe(1);
      const reader = new WatchReader(store, session.sessionId);
      const [opening] = await reader.take(1);
      expect(opening).toMatchObject({
        kind: "snapshot",
        version: 1,
        resync: false,
        session: { sessionId: session.sessionId, context: { a: "1" } },
      });

      const appended = await store.appendMessage(session.sessionId, { role: "user", content: "hello", metadata: { k: "v" } });
      expect(appended.version).toBe(2);
      await store.update(session.sessionId, { caseId: "case_9", setContext: { b: "2" }, removeContext: ["a"] });
      await store.touch(session.sessionId);
      const lock = await store.acquireLock(session.sessionId, "worker_1", 10_000);
      await store.refreshLock(session.sessionId, "worker_1", lock.fencingToken, 20_000);
      await store.releaseLock(session.sessionId, "worker_1", lock.fencingToken);
      await store.delete(session.sessionId);

      const events = await reader.take(10);
      expect(events.map((e) => [e.kind, e.version])).toEqual([
        ["message_appended", 2],
        ["updated", 3],
        ["lock_acquired", 4],
        ["lock_refreshed", 5],
        ["lock_released", 6],
        ["deleted", 7],
      ]);
      expect(events[0]).toMatchObject({
        message: { role: "user", content: "hello", metadata: { k: "v" } },
        messageCount: 1,
        trimmedMessages: 0,
      });
      expect(events[0]).toMatchObject({ expiresAt: appended.expiresAt });
      expect(events[1]).toMatchObject({ caseId: "case_9", contextCleared: false, setContext: { b: "2" }, removedContextKeys: ["a"] });
      expect(events[2]).toMatchObject({ lock: { owner: "worker_1", fencingToken: lock.fencingToken, expiresAt: lock.expiresAt } });
      expect((await reader.next()).done).toBe(true);
    });

    it("sends touches (with the unchanged version) only when asked, a resume included", async () => {
      const store = await open();
      const session = await create(store);
      const reader = new WatchReader(store, session.sessionId, { includeTouches: true });
      await reader.take(1);
      const touched = await store.touch(session.sessionId);
      await store.createOrResume({ userId: session.userId, clientId: session.clientId, caseId: "", context: {} });
      await store.appendMessage(session.sessionId, { role: "assistant", content: "hi", metadata: {} });
      const events = await reader.take(3);
      expect(events.map((e) => [e.kind, e.version])).toEqual([
        ["touched", 1],
        ["touched", 1],
        ["message_appended", 2],
      ]);
      expect(events[0]).toMatchObject({ at: touched.lastActivity, expiresAt: touched.expiresAt });
      reader.cancel();
    });

    it("opens with caught_up when the caller already has the current version, with a snapshot when it has an older one", async () => {
      const store = await open();
      const session = await create(store);
      await store.appendMessage(session.sessionId, { role: "user", content: "one", metadata: {} });
      const current = new WatchReader(store, session.sessionId, { fromVersion: 2 });
      expect(await current.take(1)).toEqual([{ kind: "caught_up", version: 2, expiresAt: expect.any(Number) }]);
      const behind = new WatchReader(store, session.sessionId, { fromVersion: 1 });
      expect(await behind.take(1)).toMatchObject([{ kind: "snapshot", version: 2, session: { messageCount: 1 } }]);
      current.cancel();
      behind.cancel();
    });

    it("fails with NOT_FOUND for a session that does not exist", async () => {
      const store = await open();
      const reader = new WatchReader(store, "sess_AAAAAAAAAAAAAAAAAAAAAAAA");
      await expect(reader.next()).rejects.toBeInstanceOf(SessionNotFoundError);
    });

    it("ends with an expired event when the session reaches its idle expiry", async () => {
      const store = await open({ idleTtlMs: 1000 });
      const session = await create(store);
      const reader = new WatchReader(store, session.sessionId);
      await reader.take(1);
      await store.appendMessage(session.sessionId, { role: "user", content: "last", metadata: {} });
      const started = Date.now();
      const events = await reader.take(3, 5000);
      expect(events.map((e) => [e.kind, e.version])).toEqual([
        ["message_appended", 2],
        ["expired", 2],
      ]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it("gives a reader that falls past its buffer a fresh snapshot, then goes on in order", async () => {
      const store = await open({}, { bufferEvents: 4 });
      const session = await create(store);
      const reader = new WatchReader(store, session.sessionId);
      await reader.take(1);
      for (let i = 0; i < 10; i++) await store.appendMessage(session.sessionId, { role: "user", content: `m${i}`, metadata: {} });
      // Let the published events reach the watcher while nobody reads.
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [resync] = await reader.take(1);
      expect(resync).toMatchObject({ kind: "snapshot", resync: true, version: 11, session: { messageCount: 10 } });
      await store.appendMessage(session.sessionId, { role: "user", content: "after", metadata: {} });
      expect((await reader.take(1)).map((e) => [e.kind, e.version])).toEqual([["message_appended", 12]]);
      reader.cancel();
    });

    it("delivers every one of concurrent interleaved writes, in version order, to each of 50 watchers", async () => {
      const store = await open();
      const session = await create(store);
      const readers = Array.from({ length: 50 }, () => new WatchReader(store, session.sessionId));
      await Promise.all(readers.map((r) => r.take(1)));
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          i % 2 === 0
            ? store.appendMessage(session.sessionId, { role: "user", content: `m${i}`, metadata: {} })
            : store.update(session.sessionId, { setContext: { [`k${i}`]: "v" } }),
        ),
      );
      const all = await Promise.all(readers.map((r) => r.take(40)));
      for (const events of all) {
        expect(events.map((e) => e.version)).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
        expect(events.filter((e) => e.kind === "message_appended")).toHaveLength(20);
      }
      for (const r of readers) r.cancel();
    });

    it("ends the iteration at once when cancelled, and refuses watchers past the process limit", async () => {
      const store = await open({}, { maxWatchers: 2 });
      const session = await create(store);
      const first = new WatchReader(store, session.sessionId);
      const second = new WatchReader(store, session.sessionId);
      await Promise.all([first.take(1), second.take(1)]);
      const third = new WatchReader(store, session.sessionId);
      await expect(third.next()).rejects.toBeInstanceOf(ResourceExhaustedError);
      const waiting = first.next();
      first.cancel();
      expect((await waiting).done).toBe(true);
      const fourth = new WatchReader(store, session.sessionId);
      expect(await fourth.take(1)).toMatchObject([{ kind: "snapshot", version: 1 }]);
      second.cancel();
      fourth.cancel();
    });
  });
}
