import { EnvReader } from "@faultmaven/config";
import { createRedisClient, keySlot, readRedisConfig } from "@faultmaven/redis";
import { RedisCluster } from "@faultmaven/test-kit";
import { SESSION_LIMITS } from "../src/domain/session-limits.js";
import { RedisSessionStore } from "../src/redis/redis-session-store.js";
import { sessionChannel } from "../src/redis/session-channel.js";
import { WatchReader } from "./session-watch-contract.js";

/**
 * The Redis store's watches while a watched session's slot moves to another
 * master of a real 3-master Cluster: a change published while the slot was
 * migrating reaches no subscriber, so the watchers get a fresh snapshot
 * that covers it, and the changes after the move arrive as events.
 */
let cluster: RedisCluster;
const stores: RedisSessionStore[] = [];
beforeAll(async () => {
  cluster = await RedisCluster.start();
}, 60_000);
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await cluster?.close();
});

const policy = { idleTtlMs: 60_000, maxLifetimeMs: 0, maxMessages: 50, limits: SESSION_LIMITS };
const open = async () => {
  const config = readRedisConfig(new EnvReader(cluster.env));
  const client = createRedisClient(config, "cluster-slot-move-test");
  await client.connect();
  const store = new RedisSessionStore(client, policy, config.mode);
  stores.push(store);
  return store;
};
const append = (store: RedisSessionStore, sessionId: string, content: string) =>
  store.appendMessage(sessionId, { role: "user", content, metadata: {} });

describe("RedisSessionStore watch on Redis Cluster: a slot move", () => {
  it("gives each of 5 watchers a snapshot covering the change made while the slot moved, then the next change as an event", async () => {
    const store = await open();
    const { session } = await store.createOrResume({ userId: "move_u", clientId: "c", caseId: "", context: {} });
    const readers = Array.from({ length: 5 }, () => new WatchReader(store, session.sessionId));
    for (const r of readers) expect(await r.take(1)).toMatchObject([{ kind: "snapshot", version: 1 }]);
    await append(store, session.sessionId, "before");
    for (const r of readers) expect(await r.take(1)).toMatchObject([{ kind: "message_appended", version: 2 }]);

    const moved = await cluster.moveSlot(keySlot(sessionChannel(session.sessionId)), async () => {
      await append(store, session.sessionId, "while moving");
    });
    expect(moved.to).not.toBe(moved.from);
    for (const r of readers) {
      const [resync] = await r.take(1, 15_000);
      expect(resync).toMatchObject({ kind: "snapshot", version: 3, resync: true });
    }
    await append(store, session.sessionId, "after");
    for (const r of readers) expect(await r.take(1)).toMatchObject([{ kind: "message_appended", version: 4 }]);
    for (const r of readers) r.cancel();
  }, 60_000);
});
