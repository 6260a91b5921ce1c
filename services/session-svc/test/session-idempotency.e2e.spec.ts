import { status } from "@grpc/grpc-js";
import { MessageRole } from "@faultmaven/contract/session";
import { EnvReader } from "@faultmaven/config";
import { createRedisClient, readRedisConfig, scanKeys } from "@faultmaven/redis";
import { RedisCluster, RedisServer } from "@faultmaven/test-kit";
import { sessionKeySchema } from "../src/redis/key-schema.js";
import { failure, startSessionService } from "./service-harness.js";

type Service = Awaited<ReturnType<typeof startSessionService>>;

/**
 * Retries with an idempotency key over gRPC (issue 9, safe retries):
 * session-svc as a real process, on a real redis-server and on a real
 * 3-master Redis Cluster (where CreateSession is single-key steps).
 */
function retriesOver(topology: string, startRedis: () => Promise<{ env: Record<string, string>; close(): Promise<void> }>): void {
  describe(`session-svc retries with idempotency keys on ${topology}`, () => {
    let redis: { env: Record<string, string>; close(): Promise<void> };
    let svc: Service;
    let n = 0;
    const unique = (prefix: string) => `${prefix}_${++n}`;
    beforeAll(async () => {
      redis = await startRedis();
      svc = await startSessionService(redis.env);
    }, 60_000);
    afterAll(async () => {
      await svc?.stop();
      await redis?.close();
    });

    const newSession = async () => (await svc.client.createSession({ userId: unique("user"), clientId: "browser" })).session!.sessionId;
    const append = (sessionId: string, content: string, idempotencyKey: string) =>
      svc.client.appendMessage({ sessionId, message: { role: MessageRole.USER, content }, idempotencyKey });

    it("stores one message for 50 parallel AppendMessage calls with the same key, each answering it once", async () => {
      const sessionId = await newSession();
      const replies = await Promise.all(Array.from({ length: 50 }, () => append(sessionId, "only once", "append-race")));
      // Each answers the one append: its message, numbered 1, and the version it made.
      expect(replies.map((r) => [r.message!.content, r.messageCount, r.version])).toEqual(Array(50).fill(["only once", 1n, 2n]));
      expect(new Set(replies.map((r) => Number(r.message!.timestamp!.nanos) + Number(r.message!.timestamp!.seconds) * 1e9)).size).toBe(1);
      const { session } = await svc.client.getSession({ sessionId });
      expect(session!.messages.map((m) => m.content)).toEqual(["only once"]);
      expect(session!.messageCount).toBe(1n);
    });

    it("refuses the same key with different content: INVALID_ARGUMENT naming idempotency_key, nothing stored", async () => {
      const sessionId = await newSession();
      await append(sessionId, "first", "append-reused");
      const refused = await failure(append(sessionId, "second", "append-reused"));
      expect(refused.code).toBe(status.INVALID_ARGUMENT);
      expect(refused.fields).toEqual(["idempotency_key"]);
      expect((await svc.client.getSession({ sessionId })).session!.messages.map((m) => m.content)).toEqual(["first"]);
    });

    it("answers 20 parallel CreateSession calls with the same key, and a later retry, with one new session", async () => {
      const request = { userId: unique("user"), clientId: "browser", idempotencyKey: "create-race" };
      const replies = await Promise.all(Array.from({ length: 20 }, () => svc.client.createSession(request)));
      const retry = await svc.client.createSession(request);
      const ids = new Set([...replies, retry].map((r) => r.session!.sessionId));
      expect(ids.size).toBe(1);
      expect([...replies, retry].every((r) => !r.resumed)).toBe(true);
      const listed = await svc.client.listSessions({ userId: request.userId });
      expect(listed.sessions.map((s) => s.sessionId)).toEqual([...ids]);
    });

    it("answers a retried CreateSession with the same session id after that session was deleted and replaced", async () => {
      const request = { userId: unique("user"), clientId: "browser", idempotencyKey: "create-once" };
      const first = await svc.client.createSession(request);
      await svc.client.deleteSession({ sessionId: first.session!.sessionId });
      const replacement = await svc.client.createSession({ userId: request.userId, clientId: "browser" });
      const retry = await svc.client.createSession(request);
      expect(replacement.session!.sessionId).not.toBe(first.session!.sessionId);
      expect(retry.session!.sessionId).toBe(first.session!.sessionId);
    });

    it("answers a retried DeleteSession as the first time (OK), where a new delete gets NOT_FOUND", async () => {
      const sessionId = await newSession();
      await svc.client.deleteSession({ sessionId, idempotencyKey: "delete-1" });
      await svc.client.deleteSession({ sessionId, idempotencyKey: "delete-1" });
      expect((await failure(svc.client.deleteSession({ sessionId, idempotencyKey: "delete-2" }))).code).toBe(status.NOT_FOUND);
    });

    it("answers a retried lock acquire with the same fencing token, 20 parallel retries included, taking the lock once", async () => {
      const sessionId = await newSession();
      const request = { sessionId, owner: "worker-1", idempotencyKey: "acquire-1" };
      const replies = await Promise.all(Array.from({ length: 20 }, () => svc.client.acquireSessionLock(request)));
      const retry = await svc.client.acquireSessionLock(request);
      expect(new Set([...replies, retry].map((r) => r.lock!.fencingToken))).toEqual(new Set([1n]));
      const other = await failure(svc.client.acquireSessionLock({ sessionId, owner: "worker-2", idempotencyKey: "acquire-2" }));
      expect(other.reason).toBe("SESSION_LOCKED");
      await svc.client.releaseSessionLock({ sessionId, owner: "worker-1", fencingToken: 1n });
      const next = await svc.client.acquireSessionLock({ sessionId, owner: "worker-2", idempotencyKey: "acquire-3" });
      expect(next.lock!.fencingToken).toBe(2n);
    });

    it("leaves only keys of the session-svc key schema, idempotency records included", async () => {
      const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "schema-check");
      await client.connect();
      const keys: string[] = [];
      try {
        for await (const key of scanKeys(client)) keys.push(key);
      } finally {
        client.disconnect();
      }
      const patterns = Object.values(sessionKeySchema.keys);
      expect(keys.filter((key) => !patterns.some((pattern) => pattern.matches(key)))).toEqual([]);
      expect(keys.filter((key) => key.startsWith("session:idem:{session:sess_")).length).toBeGreaterThan(0);
      expect(keys.filter((key) => key.startsWith("client_session:idem:{client_session:")).length).toBeGreaterThan(0);
    });
  });
}

retriesOver("standalone Redis", () => RedisServer.start());
retriesOver("Redis Cluster", () => RedisCluster.start());
