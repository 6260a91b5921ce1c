import { EnvReader } from "@faultmaven/config";
import { UnavailableError } from "@faultmaven/errors";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";
import { RedisServer, waitFor } from "@faultmaven/test-kit";
import { SESSION_LIMITS } from "../src/domain/session-limits.js";
import { RedisSessionStore } from "../src/redis/redis-session-store.js";
import { sessionChannel } from "../src/redis/session-channel.js";
import { WatchReader } from "./session-watch-contract.js";

/** The Redis store's watch subscription, checked against Redis itself (standalone). */
describe("RedisSessionStore watch subscription", () => {
  let redis: RedisServer;
  const stores: RedisSessionStore[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await redis.close();
  });
  const policy = { idleTtlMs: 60_000, maxLifetimeMs: 0, maxMessages: 50, limits: SESSION_LIMITS };
  const open = async () => {
    const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "watch-subscription-test");
    await client.connect();
    const store = new RedisSessionStore(client, policy, "standalone");
    stores.push(store);
    return store;
  };
  const numsub = async (sessionId: string) =>
    Number(((await redis.admin.pubsub("NUMSUB", sessionChannel(sessionId))) as [string, number])[1]);
  const pubsubClients = async () =>
    String(await redis.admin.call("CLIENT", "LIST", "TYPE", "pubsub"))
      .split("\n")
      .filter(Boolean).length;

  it("shares one subscriber connection and one subscription per session among all watchers, and unsubscribes with the last one", async () => {
    const store = await open();
    const sessions = await Promise.all(
      [1, 2, 3].map(async (i) => (await store.createOrResume({ userId: `su${i}`, clientId: "c", caseId: "", context: {} })).session),
    );
    const readers = sessions.flatMap((s) => Array.from({ length: 10 }, () => new WatchReader(store, s.sessionId)));
    await Promise.all(readers.map((r) => r.take(1)));
    expect(await pubsubClients()).toBe(1);
    for (const s of sessions) expect(await numsub(s.sessionId)).toBe(1);
    expect(store.watchCounts).toEqual({ watchers: 30, sessions: 3 });
    for (const r of readers.slice(0, 25)) r.cancel();
    expect(await numsub(sessions[2]!.sessionId)).toBe(1);
    for (const r of readers.slice(25)) r.cancel();
    expect(store.watchCounts).toEqual({ watchers: 0, sessions: 0 });
    await waitFor("every channel unsubscribed", async () =>
      (await Promise.all(sessions.map((s) => numsub(s.sessionId)))).every((n) => n === 0),
    );
  });

  it("leaves no subscription and no watcher behind after 2000 watch/cancel cycles", async () => {
    const store = await open();
    const { session } = await store.createOrResume({ userId: "cycle_u", clientId: "c", caseId: "", context: {} });
    for (let i = 0; i < 2000; i++) {
      const reader = new WatchReader(store, session.sessionId);
      await reader.take(1);
      reader.cancel();
    }
    expect(store.watchCounts).toEqual({ watchers: 0, sessions: 0 });
    await waitFor("the channel unsubscribed", async () => (await numsub(session.sessionId)) === 0);
  });

  it("ends every watch with UNAVAILABLE when the subscriber connection is killed, and watches again afterwards", async () => {
    const store = await open();
    const { session } = await store.createOrResume({ userId: "kill_u", clientId: "c", caseId: "", context: {} });
    const readers = Array.from({ length: 5 }, () => new WatchReader(store, session.sessionId));
    await Promise.all(readers.map((r) => r.take(1)));
    await redis.admin.call("CLIENT", "KILL", "TYPE", "pubsub");
    for (const r of readers) await expect(r.next()).rejects.toBeInstanceOf(UnavailableError);
    await waitFor("a new watch", async () => {
      const again = new WatchReader(store, session.sessionId);
      const ok = await again.take(1).then(
        () => true,
        () => false,
      );
      again.cancel();
      return ok;
    });
  });

  it("ends every watch with UNAVAILABLE within seconds when Redis freezes (SIGSTOP)", async () => {
    const store = await open();
    const { session } = await store.createOrResume({ userId: "freeze_u", clientId: "c", caseId: "", context: {} });
    const readers = Array.from({ length: 5 }, () => new WatchReader(store, session.sessionId));
    await Promise.all(readers.map((r) => r.take(1)));
    const started = Date.now();
    redis.pause();
    try {
      for (const r of readers) await expect(r.next(5000)).rejects.toBeInstanceOf(UnavailableError);
      expect(Date.now() - started).toBeLessThan(4000);
    } finally {
      redis.resume();
    }
  });

  it("lets a watch cancelled and one started while the subscriber reconnects end right: the first leaves no subscription, the second gets its events", async () => {
    const store = await open();
    const [{ session: cancelled }, { session: watched }] = await Promise.all(
      ["order_c", "order_w"].map((userId) => store.createOrResume({ userId, clientId: "c", caseId: "", context: {} })),
    );
    const first = new WatchReader(store, watched.sessionId);
    await first.take(1);
    await redis.admin.call("CLIENT", "KILL", "TYPE", "pubsub");
    await expect(first.next()).rejects.toBeInstanceOf(UnavailableError);
    // The subscriber reconnects after its backoff: both subscribes wait for it, while the cancel's unsubscribe
    // and the dropped topic's are asked for meanwhile.
    const gone = new WatchReader(store, cancelled.sessionId);
    const goneStep = gone.next(10_000).catch(() => undefined);
    gone.cancel();
    const again = new WatchReader(store, watched.sessionId);
    expect(await again.take(1, 10_000)).toMatchObject([{ kind: "snapshot", version: 1 }]);
    await goneStep;
    await store.appendMessage(watched.sessionId, { role: "user", content: "after the reconnect", metadata: {} });
    expect(await again.take(1)).toMatchObject([{ kind: "message_appended", version: 2 }]);
    // Time for a stray SUBSCRIBE to land after the unsubscribe.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await numsub(cancelled.sessionId)).toBe(0);
    again.cancel();
    await waitFor("the other channel unsubscribed", async () => (await numsub(watched.sessionId)) === 0);
    expect(store.watchCounts).toEqual({ watchers: 0, sessions: 0 });
  });
});
