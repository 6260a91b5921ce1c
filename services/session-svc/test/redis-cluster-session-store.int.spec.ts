import { SESSION_LIMITS } from "../src/domain/session-limits.js";
import { EnvReader } from "@faultmaven/config";
import { UnavailableError } from "@faultmaven/errors";
import { runInCallScope } from "@faultmaven/call-scope";
import { createRedisClient, readRedisConfig, scanKeys } from "@faultmaven/redis";
import { RedisCluster, waitFor } from "@faultmaven/test-kit";
import type { Cluster } from "ioredis";
import { sessionChannel } from "../src/redis/session-channel.js";
import { WatchReader } from "./session-watch-contract.js";
import { RedisSessionStore } from "../src/redis/redis-session-store.js";
import { sessionLimitsContract } from "./session-limits-contract.js";
import { type StoreFactory, sessionStoreContract } from "./session-store-contract.js";
import { sessionStoreIdempotencyContract } from "./session-store-idempotency-contract.js";
import { sessionWatchContract } from "./session-watch-contract.js";

/**
 * The same contract on a real 3-master Redis Cluster: every script stays on
 * one key (no CROSSSLOT), and the indexes in other slots are kept by the
 * follow-up calls.
 */
let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await RedisCluster.start();
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const openClusterStore: StoreFactory = async (policy) => {
  const config = readRedisConfig(new EnvReader(cluster.env));
  expect(config.mode).toBe("cluster");
  const client = createRedisClient(config, "session-cluster-test");
  await client.connect();
  return new RedisSessionStore(client, policy, config.mode);
};

sessionStoreContract("RedisSessionStore on Redis Cluster", openClusterStore);
sessionStoreIdempotencyContract("RedisSessionStore on Redis Cluster", openClusterStore);
sessionLimitsContract("RedisSessionStore on Redis Cluster", openClusterStore);
sessionWatchContract("RedisSessionStore on Redis Cluster", async (policy, limits) => {
  const config = readRedisConfig(new EnvReader(cluster.env));
  const client = createRedisClient(config, "session-cluster-watch-test");
  await client.connect();
  return new RedisSessionStore(client, policy, config.mode, limits);
});

describe("RedisSessionStore on Redis Cluster: index TTLs", () => {
  it("renews the client index in another slot on touch", async () => {
    const config = readRedisConfig(new EnvReader(cluster.env));
    const client = createRedisClient(config, "cluster-ttl");
    await client.connect();
    const store = new RedisSessionStore(
      client,
      { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 10, limits: SESSION_LIMITS },
      "cluster",
    );
    try {
      const { session } = await store.createOrResume({ userId: "cu", clientId: "cc", caseId: "", context: {} });
      await client.pexpire("client_session:cu:cc", 10_000);
      await store.touch(session.sessionId);
      expect(await client.pttl("client_session:cu:cc")).toBeGreaterThan(1_790_000);
      await store.delete(session.sessionId);
      expect(await client.exists("client_session:cu:cc")).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe("RedisSessionStore on Redis Cluster: CreateSession retried with an idempotency key", () => {
  it("answers the first answer, keeps one session in Redis, and restores the user index entry the first call's upkeep missed", async () => {
    const config = readRedisConfig(new EnvReader(cluster.env));
    const client = createRedisClient(config, "cluster-create-retry");
    await client.connect();
    const store = new RedisSessionStore(
      client,
      { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 10, limits: SESSION_LIMITS },
      "cluster",
    );
    const scope = {
      deadline: undefined,
      signal: new AbortController().signal,
      idempotency: { name: "CreateSession:retry-1", fingerprint: "f".repeat(64), windowMs: 60_000 },
    };
    const create = () => runInCallScope(scope, () => store.createOrResume({ userId: "ru", clientId: "rc", caseId: "", context: {} }));
    try {
      const first = await create();
      // As if the call had ended between its claim and its user index upkeep.
      await client.zrem("session:user_sessions:ru", first.session.sessionId);
      const retry = await create();
      expect(retry).toEqual(first);
      expect(await client.zrange("session:user_sessions:ru", "0", "-1")).toEqual([first.session.sessionId]);
      expect(await client.get("client_session:ru:rc")).toBe(first.session.sessionId);
      const sessions: string[] = [];
      for await (const key of scanKeys(client, "session:sess_*")) sessions.push(key);
      expect(sessions.filter((key) => key.endsWith(first.session.sessionId))).toHaveLength(1);
      expect((await Promise.all(sessions.map((key) => client.hget(key, "user_id")))).filter((user) => user === "ru")).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});

describe("RedisSessionStore on Redis Cluster: watch subscription", () => {
  it("subscribes with SSUBSCRIBE on the session's shard (SHARDNUMSUB 1) and unsubscribes with the last watcher (back to 0)", async () => {
    const config = readRedisConfig(new EnvReader(cluster.env));
    const client = createRedisClient(config, "cluster-watch-subscription");
    await client.connect();
    const store = new RedisSessionStore(
      client,
      { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 10, limits: SESSION_LIMITS },
      "cluster",
    );
    const admin = createRedisClient(config, "cluster-watch-admin") as Cluster;
    await admin.connect();
    const shardSubscribers = async (channel: string) => {
      const counts = await Promise.all(
        admin.nodes("master").map(async (node) => Number(((await node.call("PUBSUB", "SHARDNUMSUB", channel)) as [string, number])[1])),
      );
      return counts.reduce((a, b) => a + b, 0);
    };
    try {
      const { session } = await store.createOrResume({ userId: "wu", clientId: "wc", caseId: "", context: {} });
      const channel = sessionChannel(session.sessionId);
      const readers = Array.from({ length: 20 }, () => new WatchReader(store, session.sessionId));
      await Promise.all(readers.map((r) => r.take(1)));
      expect(await shardSubscribers(channel)).toBe(1);
      await store.appendMessage(session.sessionId, { role: "user", content: "x", metadata: {} });
      for (const r of readers) expect((await r.take(1)).map((e) => e.kind)).toEqual(["message_appended"]);
      for (const r of readers) r.cancel();
      await waitFor("the shard channel unsubscribed", async () => (await shardSubscribers(channel)) === 0);
    } finally {
      admin.disconnect();
      await store.close();
    }
  });

  it("ends every watch with UNAVAILABLE when the sharded subscriber connections are killed, and watches again afterwards", async () => {
    const config = readRedisConfig(new EnvReader(cluster.env));
    const client = createRedisClient(config, "cluster-watch-loss");
    await client.connect();
    const store = new RedisSessionStore(
      client,
      { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 10, limits: SESSION_LIMITS },
      "cluster",
    );
    const admin = createRedisClient(config, "cluster-watch-loss-admin") as Cluster;
    await admin.connect();
    try {
      const { session } = await store.createOrResume({ userId: "lu", clientId: "lc", caseId: "", context: {} });
      const readers = Array.from({ length: 5 }, () => new WatchReader(store, session.sessionId));
      await Promise.all(readers.map((r) => r.take(1)));
      await Promise.all(admin.nodes("master").map((node) => node.call("CLIENT", "KILL", "TYPE", "pubsub")));
      for (const r of readers) await expect(r.next(5000)).rejects.toBeInstanceOf(UnavailableError);
      await waitFor(
        "a new watch",
        async () => {
          const again = new WatchReader(store, session.sessionId);
          const ok = await again.take(1).then(
            () => true,
            () => false,
          );
          again.cancel();
          return ok;
        },
        15_000,
      );
    } finally {
      admin.disconnect();
      await store.close();
    }
  }, 30_000);
});
