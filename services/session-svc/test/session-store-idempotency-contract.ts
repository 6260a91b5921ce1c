import { type CallScope, runInCallScope } from "@faultmaven/call-scope";
import { InvalidArgumentError } from "@faultmaven/errors";
import { SessionLockedError } from "../src/domain/errors.js";
import type { SessionPolicy } from "../src/domain/session.js";
import { SESSION_LIMITS } from "../src/domain/session-limits.js";
import type { SessionStore } from "../src/domain/session-store.js";
import type { StoreFactory } from "./session-store-contract.js";

const POLICY: SessionPolicy = { idleTtlMs: 60_000, maxLifetimeMs: 0, maxMessages: 100, limits: SESSION_LIMITS };
let counter = 0;
const unique = (prefix: string) => `${prefix}_${process.pid}_${++counter}`;

/**
 * Runs `work` as a call with idempotency key `key` of `method`, the way the
 * gRPC pipeline scopes it; `request` stands for the rest of the request
 * (its fingerprint).
 */
function asCall<T>(method: string, key: string, request: string, work: () => Promise<T>): Promise<T> {
  const scope: CallScope = {
    deadline: undefined,
    signal: new AbortController().signal,
    idempotency: { name: `${method}:${key}`, fingerprint: request.padEnd(64, "0"), windowMs: 60_000 },
  };
  return runInCallScope(scope, work);
}

/**
 * What every SessionStore does with idempotency keys (issue 9, safe
 * retries), run against the Redis store (standalone and Cluster) and the
 * in-memory store alike.
 */
export function sessionStoreIdempotencyContract(name: string, makeStore: StoreFactory): void {
  describe(`${name}: idempotency keys`, () => {
    let store: SessionStore;
    beforeAll(async () => {
      store = await makeStore(POLICY);
    });
    afterAll(async () => {
      await store.close();
    });

    const newSession = () => ({ userId: unique("user"), clientId: unique("client"), caseId: "", context: {} });
    const created = async () => (await store.createOrResume(newSession())).session.sessionId;
    const message = (content: string) => ({ role: "user" as const, content, metadata: {} });

    it("appends once for a retried AppendMessage, which answers as the first call did", async () => {
      const id = await created();
      const first = await asCall("AppendMessage", "k1", "a", () => store.appendMessage(id, message("one")));
      await asCall("AppendMessage", "k2", "b", () => store.appendMessage(id, message("two")));
      const retry = await asCall("AppendMessage", "k1", "a", () => store.appendMessage(id, message("one")));
      expect(first).toMatchObject({ messageCount: 1, version: 2, message: { content: "one" } });
      expect(retry).toEqual(first);
      expect((await store.get(id))?.messages.map((m) => m.content)).toEqual(["one", "two"]);
    });

    it("appends once for a retried AppendMessage that asks for the session, which answers the session as it is now", async () => {
      const id = await created();
      const asked = { returnSession: true };
      const first = await asCall("AppendMessage", "k1", "a", () => store.appendMessage(id, message("one"), asked));
      await asCall("AppendMessage", "k2", "b", () => store.appendMessage(id, message("two")));
      const retry = await asCall("AppendMessage", "k1", "a", () => store.appendMessage(id, message("one"), asked));
      expect(first.session!.messages.map((m) => m.content)).toEqual(["one"]);
      expect(retry.session!.messages.map((m) => m.content)).toEqual(["one", "two"]);
      expect(retry).toMatchObject({ messageCount: 2, version: 3 });
    });

    it("appends once under 50 concurrent AppendMessage calls with one key", async () => {
      const id = await created();
      const replies = await Promise.all(
        Array.from({ length: 50 }, () => asCall("AppendMessage", "race", "a", () => store.appendMessage(id, message("once")))),
      );
      expect(replies.every((r) => r.messageCount === 1 && r.version === 2)).toBe(true);
      expect((await store.get(id))?.messages.map((m) => m.content)).toEqual(["once"]);
    });

    it("refuses the same key with a different request, naming idempotency_key, and changes nothing", async () => {
      const id = await created();
      await asCall("AppendMessage", "k1", "a", () => store.appendMessage(id, message("one")));
      const error = await asCall("AppendMessage", "k1", "b", () => store.appendMessage(id, message("other"))).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).violations.map((v) => v.field)).toEqual(["idempotency_key"]);
      expect((await store.get(id))?.messages.map((m) => m.content)).toEqual(["one"]);
    });

    it("applies a retried UpdateSession once: a retry does not undo a later change, and answers as the first call did", async () => {
      const id = await created();
      const first = await asCall("UpdateSession", "k1", "a", () => store.update(id, { setContext: { step: "1" } }));
      await asCall("UpdateSession", "k2", "b", () => store.update(id, { setContext: { step: "2" } }));
      const retry = await asCall("UpdateSession", "k1", "a", () => store.update(id, { setContext: { step: "1" } }));
      expect(retry).toEqual(first);
      expect(first.version).toBe(2);
      expect((await store.get(id))?.context).toEqual({ step: "2" });
    });

    it("answers a retried CreateSession with the session it created, even after that session was replaced", async () => {
      const input = newSession();
      const first = await asCall("CreateSession", "k1", "a", () => store.createOrResume(input));
      expect(first.resumed).toBe(false);
      await store.delete(first.session.sessionId);
      const replacement = await store.createOrResume(input);
      const retry = await asCall("CreateSession", "k1", "a", () => store.createOrResume(input));
      expect(replacement.session.sessionId).not.toBe(first.session.sessionId);
      expect(retry).toEqual({ resumed: false, session: expect.objectContaining({ sessionId: first.session.sessionId }) });
    });

    it("answers a retried resuming CreateSession with the same session as it is now", async () => {
      const input = newSession();
      const { session } = await store.createOrResume(input);
      const first = await asCall("CreateSession", "k1", "a", () => store.createOrResume(input));
      await store.appendMessage(session.sessionId, message("later"));
      const retry = await asCall("CreateSession", "k1", "a", () => store.createOrResume(input));
      expect(first).toMatchObject({ resumed: true, session: { sessionId: session.sessionId } });
      expect(retry).toMatchObject({ resumed: true, session: { sessionId: session.sessionId } });
      expect(retry.session.messages.map((m) => m.content)).toEqual(["later"]);
    });

    it("creates one session under 20 concurrent CreateSession calls with one key, all answering it as created", async () => {
      const input = newSession();
      const replies = await Promise.all(
        Array.from({ length: 20 }, () => asCall("CreateSession", "race", "a", () => store.createOrResume(input))),
      );
      expect(new Set(replies.map((r) => r.session.sessionId)).size).toBe(1);
      expect(replies.every((r) => !r.resumed)).toBe(true);
      const listed = await store.listByUser(input.userId, 0, 10);
      expect(listed.sessions.map((s) => s.sessionId)).toEqual([replies[0]!.session.sessionId]);
    });

    it("answers a retried DeleteSession as the first time (deleted), where a new delete finds nothing", async () => {
      const id = await created();
      expect(await asCall("DeleteSession", "k1", "a", () => store.delete(id))).toBe(true);
      expect(await asCall("DeleteSession", "k1", "a", () => store.delete(id))).toBe(true);
      expect(await asCall("DeleteSession", "k2", "a2", () => store.delete(id))).toBe(false);
    });

    it("answers a retried lock acquire with the same fencing token without taking the lock again", async () => {
      const id = await created();
      const first = await asCall("AcquireSessionLock", "k1", "a", () => store.acquireLock(id, "w1", 10_000));
      const retry = await asCall("AcquireSessionLock", "k1", "a", () => store.acquireLock(id, "w1", 10_000));
      expect(retry).toEqual(first);
      await expect(asCall("AcquireSessionLock", "k2", "b", () => store.acquireLock(id, "w2", 10_000))).rejects.toBeInstanceOf(
        SessionLockedError,
      );
      const refreshed = await asCall("RefreshSessionLock", "k3", "c", () => store.refreshLock(id, "w1", first.fencingToken, 20_000));
      expect(await asCall("RefreshSessionLock", "k3", "c", () => store.refreshLock(id, "w1", first.fencingToken, 20_000))).toEqual(
        refreshed,
      );
      const released = await asCall("ReleaseSessionLock", "k4", "d", () => store.releaseLock(id, "w1", first.fencingToken));
      expect(await asCall("ReleaseSessionLock", "k4", "d", () => store.releaseLock(id, "w1", first.fencingToken))).toBe(released);
      const next = await asCall("AcquireSessionLock", "k5", "e", () => store.acquireLock(id, "w2", 10_000));
      expect(next.fencingToken).toBe(first.fencingToken + 1);
    });

    it("answers a retried refused lock acquire with the same refusal, even once the lock is free", async () => {
      const id = await created();
      const held = await store.acquireLock(id, "w1", 10_000);
      await expect(asCall("AcquireSessionLock", "k1", "a", () => store.acquireLock(id, "w2", 10_000))).rejects.toBeInstanceOf(
        SessionLockedError,
      );
      await store.releaseLock(id, "w1", held.fencingToken);
      await expect(asCall("AcquireSessionLock", "k1", "a", () => store.acquireLock(id, "w2", 10_000))).rejects.toBeInstanceOf(
        SessionLockedError,
      );
    });
  });
}
