import { InvalidArgumentError } from "@faultmaven/errors";
import { SessionLimitError } from "../src/domain/errors.js";
import { LIST_PAGE_MAX_BYTES, SESSION_LIMITS, storedMessage, utf8Bytes } from "../src/domain/session-limits.js";
import type { SessionLimits, SessionPolicy } from "../src/domain/session.js";
import type { SessionStore } from "../src/domain/session-store.js";
import type { StoreFactory } from "./session-store-contract.js";

let counter = 0;
const unique = (prefix: string) => `limits_${prefix}_${process.pid}_${++counter}`;

/** The limit a refused write names, or the error itself when it is something else. */
async function refusal(write: Promise<unknown>): Promise<unknown> {
  try {
    await write;
  } catch (error) {
    if (error instanceof SessionLimitError) return error.limit;
    if (error instanceof InvalidArgumentError) return error.violations.map((v) => v.field);
    return error;
  }
  return "accepted";
}

/**
 * The session limits every SessionStore enforces, with the write and in the
 * same atomic step, run against the Redis store and the in-memory store alike.
 */
export function sessionLimitsContract(name: string, makeStore: StoreFactory): void {
  describe(`${name}: session limits`, () => {
    const stores: SessionStore[] = [];
    const open = async (limits: Partial<SessionLimits>, policy: Partial<SessionPolicy> = {}) => {
      const store = await makeStore({
        idleTtlMs: 60_000,
        maxLifetimeMs: 0,
        maxMessages: 100,
        ...policy,
        limits: { ...SESSION_LIMITS, ...limits },
      });
      stores.push(store);
      return store;
    };
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
    });
    const create = async (store: SessionStore, context: Record<string, string> = {}) =>
      (await store.createOrResume({ userId: unique("user"), clientId: unique("client"), caseId: "", context })).session.sessionId;

    it("refuses an update past the context entry limit, naming it, and writes nothing of it", async () => {
      const store = await open({ contextEntries: 4 });
      const id = await create(store, { a: "1" });
      await store.update(id, { setContext: { b: "2", c: "3", d: "4" } });
      expect(await refusal(store.update(id, { caseId: "case_x", setContext: { e: "5" } }))).toBe("session.context_entries");
      expect(await store.get(id)).toMatchObject({ caseId: "", context: { a: "1", b: "2", c: "3", d: "4" } });
      // At the limit, overwriting a key or swapping one key for another still fits.
      await store.update(id, { setContext: { a: "one", f: "6" }, removeContext: ["b"] });
      expect((await store.get(id))?.context).toEqual({ a: "one", c: "3", d: "4", f: "6" });
      expect(await refusal(store.update(id, { replaceContext: { p: "1", q: "2", r: "3", s: "4", t: "5" } }))).toBe(
        "session.context_entries",
      );
      await store.update(id, { replaceContext: { p: "1" }, setContext: { q: "2" } });
      expect((await store.get(id))?.context).toEqual({ p: "1", q: "2" });
    });

    it("counts context bytes in UTF-8 (keys plus values) and refuses past the byte limit", async () => {
      const store = await open({ contextBytes: 12 });
      const id = await create(store);
      // "k" + "é" x 5 = 11 bytes, though 6 characters.
      await store.update(id, { setContext: { k: "ééééé" } });
      expect(await refusal(store.update(id, { setContext: { j: "x" } }))).toBe("session.context_bytes");
      await store.update(id, { setContext: { k: "e" } });
      await store.update(id, { setContext: { j: "123456789" } });
      expect((await store.get(id))?.context).toEqual({ k: "e", j: "123456789" });
      expect(await refusal(store.update(id, { setContext: { j: "1234567890" } }))).toBe("session.context_bytes");
    });

    it("refuses a new session whose context alone is past a limit, as INVALID_ARGUMENT on context", async () => {
      const store = await open({ contextEntries: 2 });
      expect(await refusal(create(store, { a: "1", b: "2", c: "3" }))).toEqual(["context"]);
    });

    it("keeps the most recent messages that fit the message byte limit, dropping the oldest", async () => {
      const limit = 600;
      const store = await open({ messageBytes: limit });
      const id = await create(store);
      for (let i = 0; i < 20; i++) await store.appendMessage(id, { role: "user", content: `${i}:${"x".repeat(120)}`, metadata: {} });
      const after = (await store.get(id))!;
      const bytes = after.messages.reduce((sum, m) => sum + utf8Bytes(storedMessage(m)), 0);
      expect(bytes).toBeLessThanOrEqual(limit);
      // No room for one more: what is kept is all the budget allows.
      expect(bytes + utf8Bytes(storedMessage(after.messages[0]!))).toBeGreaterThan(limit);
      const kept = after.messages.map((m) => Number(m.content.split(":")[0]));
      expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 20 - kept.length + i));
      expect(after.messageCount).toBe(20);
    });

    it("refuses a message larger than the whole message budget as INVALID_ARGUMENT on message, writing nothing", async () => {
      const store = await open({ messageBytes: 300 });
      const id = await create(store);
      await store.appendMessage(id, { role: "user", content: "small", metadata: {} });
      expect(await refusal(store.appendMessage(id, { role: "user", content: "é".repeat(150), metadata: {} }))).toEqual(["message"]);
      const after = (await store.get(id))!;
      expect([after.messageCount, after.messages.map((m) => m.content)]).toEqual([1, ["small"]]);
    });

    it("lets no concurrent updates or appends take a session past its limits", async () => {
      const store = await open({ contextEntries: 20, contextBytes: 20 * 40, messageBytes: 2000 });
      const id = await create(store);
      const outcomes = await Promise.all([
        ...Array.from({ length: 60 }, (_, i) => refusal(store.update(id, { setContext: { [`k${i}`]: "v".repeat(30) } }))),
        ...Array.from({ length: 60 }, (_, i) =>
          refusal(store.appendMessage(id, { role: "assistant", content: `${i}${"m".repeat(200)}`, metadata: {} })),
        ),
      ]);
      const updates = outcomes.slice(0, 60);
      expect(updates.filter((o) => o === "accepted")).toHaveLength(20);
      expect(updates.filter((o) => o === "session.context_entries")).toHaveLength(40);
      expect(outcomes.slice(60).every((o) => o === "accepted")).toBe(true);
      const after = (await store.get(id))!;
      expect(Object.keys(after.context)).toHaveLength(20);
      expect(after.messages.reduce((sum, m) => sum + utf8Bytes(storedMessage(m)), 0)).toBeLessThanOrEqual(2000);
      expect(after.messageCount).toBe(60);
    });

    it(`ends a ListSessions page before its sessions pass ${LIST_PAGE_MAX_BYTES} bytes, with at least one session a page`, async () => {
      const store = await open({}, { maxMessages: 50 });
      const userId = unique("user");
      const ids: string[] = [];
      for (let s = 0; s < 3; s++) {
        const { session } = await store.createOrResume({ userId, clientId: unique("client"), caseId: "", context: {} });
        ids.unshift(session.sessionId);
        // About 1.27 MB each (245 KB of context, 1.02 MB of messages): two do not fit one page.
        const context = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`key${i}`, "c".repeat(4000)]));
        await store.update(session.sessionId, { setContext: context });
        await store.update(session.sessionId, { setContext: { more: "c".repeat(4000) } });
        for (let m = 0; m < 17; m++) {
          await store.appendMessage(session.sessionId, { role: "assistant", content: "m".repeat(60_000), metadata: {} });
        }
        await new Promise((resolve) => setTimeout(resolve, 3));
      }
      const pages: string[][] = [];
      let offset: number | undefined = 0;
      while (offset !== undefined) {
        const page = await store.listByUser(userId, offset, 10);
        pages.push(page.sessions.map((s) => s.sessionId));
        offset = page.nextOffset;
      }
      expect(pages).toEqual(ids.map((id) => [id]));
    });
  });
}
