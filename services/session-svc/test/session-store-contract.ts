import { SESSION_LIMITS } from "../src/domain/session-limits.js";
import { LockNotHeldError, SessionLockedError, SessionNotFoundError } from "../src/domain/errors.js";
import type { SessionPolicy } from "../src/domain/session.js";
import type { SessionStore } from "../src/domain/session-store.js";

/** Makes a fresh, empty store with the given policy. */
export type StoreFactory = (policy: SessionPolicy) => Promise<SessionStore>;

const POLICY: SessionPolicy = { idleTtlMs: 60_000, maxLifetimeMs: 0, maxMessages: 100, limits: SESSION_LIMITS };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let counter = 0;
const unique = (prefix: string) => `${prefix}_${process.pid}_${++counter}`;

/**
 * The behaviour every SessionStore must have, run against the Redis store
 * and the in-memory store alike.
 */
export function sessionStoreContract(name: string, makeStore: StoreFactory): void {
  describe(`${name}: SessionStore contract`, () => {
    const stores: SessionStore[] = [];
    const open = async (policy: Partial<SessionPolicy> = {}) => {
      const store = await makeStore({ ...POLICY, ...policy });
      stores.push(store);
      return store;
    };
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
    });

    const newSession = (
      overrides: Partial<{ userId: string; clientId: string; caseId: string; context: Record<string, string> }> = {},
    ) => ({
      userId: unique("user"),
      clientId: unique("client"),
      caseId: "",
      context: {},
      ...overrides,
    });

    it("creates a session, then resumes it for the same user and client", async () => {
      const store = await open();
      const input = newSession({ caseId: "case_1", context: { lang: "en" } });
      const first = await store.createOrResume(input);
      expect(first.resumed).toBe(false);
      expect(first.session.sessionId).toMatch(/^sess_[A-Za-z0-9_-]{24}$/);
      expect(first.session).toMatchObject({ userId: input.userId, clientId: input.clientId, caseId: "case_1", context: { lang: "en" } });
      expect(first.session.expiresAt - first.session.lastActivity).toBe(POLICY.idleTtlMs);

      const again = await store.createOrResume({ ...input, caseId: "ignored", context: {} });
      expect(again.resumed).toBe(true);
      expect(again.session.sessionId).toBe(first.session.sessionId);
      expect(again.session.caseId).toBe("case_1");

      const otherClient = await store.createOrResume({ ...input, clientId: unique("client") });
      expect(otherClient.resumed).toBe(false);
      expect(otherClient.session.sessionId).not.toBe(first.session.sessionId);
    });

    it("gives exactly one session to concurrent creates of one user and client", async () => {
      const store = await open();
      const input = newSession();
      const results = await Promise.all(Array.from({ length: 20 }, () => store.createOrResume(input)));
      const ids = new Set(results.map((r) => r.session.sessionId));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => !r.resumed)).toHaveLength(1);
      const listed = await store.listByUser(input.userId, 0, 50);
      expect(listed.sessions.map((s) => s.sessionId)).toEqual([...ids]);
    });

    it("gets a session by id and by client, and reports absence", async () => {
      const store = await open();
      const input = newSession();
      const { session } = await store.createOrResume(input);
      expect(await store.get(session.sessionId)).toMatchObject({ sessionId: session.sessionId, userId: input.userId });
      expect((await store.findByClient(input.userId, input.clientId))?.sessionId).toBe(session.sessionId);
      expect(await store.get("sess_doesnotexist000000000")).toBeUndefined();
      expect(await store.findByClient(input.userId, "nobody")).toBeUndefined();
    });

    it("lists a user's sessions newest first, page by page", async () => {
      const store = await open();
      const userId = unique("user");
      const created: string[] = [];
      for (let i = 0; i < 5; i++) {
        created.push((await store.createOrResume(newSession({ userId }))).session.sessionId);
        await sleep(3);
      }
      await store.createOrResume(newSession());
      const first = await store.listByUser(userId, 0, 2);
      expect(first.sessions.map((s) => s.sessionId)).toEqual([created[4], created[3]]);
      expect(first.nextOffset).toBe(2);
      const second = await store.listByUser(userId, first.nextOffset!, 2);
      expect(second.sessions.map((s) => s.sessionId)).toEqual([created[2], created[1]]);
      const last = await store.listByUser(userId, second.nextOffset!, 2);
      expect(last.sessions.map((s) => s.sessionId)).toEqual([created[0]]);
      expect(last.nextOffset).toBeUndefined();

      await store.delete(created[4]!);
      expect((await store.listByUser(userId, 0, 10)).sessions.map((s) => s.sessionId)).toEqual(created.slice(0, 4).reverse());
    });

    it("updates the case link and context keys, answering the session when asked for it", async () => {
      const store = await open();
      const { session } = await store.createOrResume(newSession({ context: { a: "1", b: "2" } }));
      const asked = { returnSession: true };
      let updated = (await store.update(session.sessionId, { caseId: "case_9", setContext: { c: "3" }, removeContext: ["a"] }, asked))
        .session!;
      expect(updated.caseId).toBe("case_9");
      expect(updated.context).toEqual({ b: "2", c: "3" });
      updated = (await store.update(session.sessionId, { replaceContext: { z: "26" } }, asked)).session!;
      expect(updated.context).toEqual({ z: "26" });
      updated = (await store.update(session.sessionId, { caseId: "" }, asked)).session!;
      expect(updated.caseId).toBe("");
      expect((await store.get(session.sessionId))?.context).toEqual({ z: "26" });
    });

    it("answers an update with the new version and expiry only, unless asked for the session", async () => {
      const store = await open();
      const { session } = await store.createOrResume(newSession());
      const outcome = await store.update(session.sessionId, { setContext: { k: "v" } });
      const now = await store.get(session.sessionId);
      expect(outcome).toEqual({ version: 2, lastActivity: now!.lastActivity, expiresAt: now!.expiresAt, session: undefined });
      expect(now!.version).toBe(2);
    });

    it("answers an append with the message as stored and the new counters only, unless asked for the session", async () => {
      const store = await open();
      const { session } = await store.createOrResume(newSession());
      await store.appendMessage(session.sessionId, { role: "user", content: "first", metadata: {} });
      const outcome = await store.appendMessage(session.sessionId, { role: "tool", content: "second", metadata: { k: "v" } });
      const now = await store.get(session.sessionId);
      expect(outcome).toEqual({
        message: now!.messages[1],
        messageCount: 2,
        trimmedMessages: 0,
        version: 3,
        lastActivity: now!.lastActivity,
        expiresAt: now!.expiresAt,
        session: undefined,
      });
      expect(now!.messages[1]).toEqual({ role: "tool", content: "second", metadata: { k: "v" }, timestamp: now!.lastActivity });
      const asked = await store.appendMessage(
        session.sessionId,
        { role: "assistant", content: "third", metadata: {} },
        { returnSession: true },
      );
      expect(asked.session).toEqual(await store.get(session.sessionId));
      expect(asked.session!.messages.map((m) => m.content)).toEqual(["first", "second", "third"]);
      expect(asked).toMatchObject({
        messageCount: 3,
        version: 4,
        lastActivity: asked.session!.lastActivity,
        expiresAt: asked.session!.expiresAt,
      });
    });

    it("loses no update when different fields are updated concurrently", async () => {
      const store = await open();
      const { session } = await store.createOrResume(newSession());
      await Promise.all([
        store.update(session.sessionId, { caseId: "case_concurrent" }),
        ...Array.from({ length: 30 }, (_, i) => store.update(session.sessionId, { setContext: { [`k${i}`]: `v${i}` } })),
      ]);
      const after = await store.get(session.sessionId);
      expect(after?.caseId).toBe("case_concurrent");
      expect(Object.keys(after?.context ?? {})).toHaveLength(30);
      for (let i = 0; i < 30; i++) expect(after?.context[`k${i}`]).toBe(`v${i}`);
    });

    it("appends messages in order and keeps only the most recent N", async () => {
      const store = await open({ maxMessages: 3 });
      const { session } = await store.createOrResume(newSession());
      for (let i = 1; i <= 5; i++) {
        await store.appendMessage(session.sessionId, { role: "user", content: `m${i}`, metadata: { i: String(i) } });
      }
      const after = await store.get(session.sessionId);
      expect(after?.messages.map((m) => m.content)).toEqual(["m3", "m4", "m5"]);
      expect(after?.messages[2]).toMatchObject({ role: "user", metadata: { i: "5" } });
      expect(after?.messages[2]?.timestamp).toBeGreaterThan(0);
      expect(after?.messageCount).toBe(5);
    });

    it("keeps all 50 concurrent appends (no lost update)", async () => {
      const store = await open();
      const { session } = await store.createOrResume(newSession());
      await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.appendMessage(session.sessionId, { role: "assistant", content: `c${i}`, metadata: {} })),
      );
      const after = await store.get(session.sessionId);
      expect(after?.messageCount).toBe(50);
      expect(new Set(after?.messages.map((m) => m.content))).toEqual(new Set(Array.from({ length: 50 }, (_, i) => `c${i}`)));
    });

    it("slides the idle expiry on touch and on writes", async () => {
      const store = await open();
      const { session } = await store.createOrResume(newSession());
      await sleep(20);
      const touched = await store.touch(session.sessionId);
      expect(touched.lastActivity).toBeGreaterThan(session.lastActivity);
      expect(touched.expiresAt).toBe(touched.lastActivity + POLICY.idleTtlMs);
      await sleep(20);
      const written = await store.appendMessage(session.sessionId, { role: "user", content: "hi", metadata: {} });
      expect(written.expiresAt).toBeGreaterThan(touched.expiresAt);
    });

    it("forgets a session after its idle TTL", async () => {
      // Wide margins: a loaded CI machine may be slow, never early.
      const store = await open({ idleTtlMs: 1500 });
      const input = newSession();
      const { session } = await store.createOrResume(input);
      await sleep(600);
      await store.touch(session.sessionId);
      await sleep(800);
      expect(await store.get(session.sessionId)).toBeDefined();
      await sleep(1000);
      expect(await store.get(session.sessionId)).toBeUndefined();
      expect(await store.findByClient(input.userId, input.clientId)).toBeUndefined();
      const fresh = await store.createOrResume(input);
      expect(fresh.resumed).toBe(false);
    });

    it("caps the lifetime when an absolute lifetime is set", async () => {
      const store = await open({ idleTtlMs: 1000, maxLifetimeMs: 1500 });
      const { session } = await store.createOrResume(newSession());
      expect(session.absoluteExpiresAt).toBe(session.createdAt + 1500);
      await sleep(700);
      const touched = await store.touch(session.sessionId);
      expect(touched.expiresAt).toBe(session.createdAt + 1500);
      await sleep(900);
      expect(await store.get(session.sessionId)).toBeUndefined();
    });

    it("deletes a session and its client index", async () => {
      const store = await open();
      const input = newSession();
      const { session } = await store.createOrResume(input);
      expect(await store.delete(session.sessionId)).toBe(true);
      expect(await store.delete(session.sessionId)).toBe(false);
      expect(await store.get(session.sessionId)).toBeUndefined();
      expect(await store.findByClient(input.userId, input.clientId)).toBeUndefined();
      expect((await store.createOrResume(input)).resumed).toBe(false);
    });

    it("raises SessionNotFoundError for writes to a missing session", async () => {
      const store = await open();
      const missing = "sess_missingmissingmissing";
      await expect(store.update(missing, { caseId: "x" })).rejects.toBeInstanceOf(SessionNotFoundError);
      await expect(store.appendMessage(missing, { role: "user", content: "x", metadata: {} })).rejects.toBeInstanceOf(SessionNotFoundError);
      await expect(store.touch(missing)).rejects.toBeInstanceOf(SessionNotFoundError);
      await expect(store.acquireLock(missing, "w", 1000)).rejects.toBeInstanceOf(SessionNotFoundError);
    });

    it("gives the lock to exactly one of many concurrent owners", async () => {
      const store = await open();
      const { session } = await store.createOrResume(newSession());
      const results = await Promise.allSettled(
        Array.from({ length: 25 }, (_, i) => store.acquireLock(session.sessionId, `worker-${i}`, 10_000)),
      );
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
      expect(refused.filter((reason) => reason instanceof SessionLockedError)).toHaveLength(24);
      const lock = (won[0] as PromiseFulfilledResult<{ owner: string; fencingToken: number }>).value;
      expect(lock.fencingToken).toBe(1);

      await expect(store.releaseLock(session.sessionId, "intruder", lock.fencingToken)).rejects.toBeInstanceOf(LockNotHeldError);
      await expect(store.releaseLock(session.sessionId, lock.owner, lock.fencingToken + 1)).rejects.toBeInstanceOf(LockNotHeldError);
      await expect(store.acquireLock(session.sessionId, "late", 1000)).rejects.toBeInstanceOf(SessionLockedError);

      await store.releaseLock(session.sessionId, lock.owner, lock.fencingToken);
      const next = await store.acquireLock(session.sessionId, "late", 1000);
      expect(next.fencingToken).toBe(2);
    });

    it("refreshes a held lease, and hands an expired one to a new owner with a higher fencing token", async () => {
      const store = await open();
      const { session } = await store.createOrResume(newSession());
      const lock = await store.acquireLock(session.sessionId, "a", 200);
      const refreshed = await store.refreshLock(session.sessionId, "a", lock.fencingToken, 400);
      expect(refreshed.expiresAt).toBeGreaterThan(lock.expiresAt);
      await expect(store.refreshLock(session.sessionId, "b", lock.fencingToken, 400)).rejects.toBeInstanceOf(LockNotHeldError);
      await sleep(450);
      const taken = await store.acquireLock(session.sessionId, "b", 1000);
      expect(taken.fencingToken).toBe(lock.fencingToken + 1);
      // The stale holder can neither refresh nor release any more.
      await expect(store.refreshLock(session.sessionId, "a", lock.fencingToken, 400)).rejects.toBeInstanceOf(LockNotHeldError);
      await expect(store.releaseLock(session.sessionId, "a", lock.fencingToken)).rejects.toBeInstanceOf(LockNotHeldError);
    });
  });
}
