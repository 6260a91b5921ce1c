import { SESSION_LIMITS } from "../src/domain/session-limits.js";
import { EnvReader } from "@faultmaven/config";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";
import { RedisCluster } from "@faultmaven/test-kit";
import { RedisSessionStore } from "../src/redis/redis-session-store.js";
import type { SessionPolicy } from "../src/domain/session.js";
import { sessionLimitsContract } from "./session-limits-contract.js";
import { sessionStoreContract } from "./session-store-contract.js";

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

const makeStore = async (policy: SessionPolicy) => {
  const config = readRedisConfig(new EnvReader(cluster.env));
  expect(config.mode).toBe("cluster");
  const client = createRedisClient(config, "session-cluster-test");
  await client.connect();
  return new RedisSessionStore(client, policy, config.mode);
};
sessionStoreContract("RedisSessionStore on Redis Cluster", makeStore);
sessionLimitsContract("RedisSessionStore on Redis Cluster", makeStore);

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
