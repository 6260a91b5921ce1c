import type { Redis } from "ioredis";
import { createRedisClient, readRedisConfig } from "@faultmaven/redis";
import { EnvReader } from "@faultmaven/config";
import { RedisServer } from "@faultmaven/test-kit";
import { RedisSessionStore } from "../src/redis/redis-session-store.js";
import { sessionStoreContract } from "./session-store-contract.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis.close();
});

sessionStoreContract("RedisSessionStore", async (policy) => {
  const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "session-store-test");
  await client.connect();
  return new RedisSessionStore(client, policy, "standalone");
});

describe("RedisSessionStore keys and TTLs, read from Redis itself", () => {
  const policy = { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 50 };
  let store: RedisSessionStore;
  let admin: Redis;
  beforeAll(async () => {
    const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "ttl-test");
    await client.connect();
    store = new RedisSessionStore(client, policy, "standalone");
    admin = redis.admin;
  });
  afterAll(async () => {
    await store.close();
  });

  const ttls = async (sessionId: string, userId: string, clientId: string) => ({
    session: await admin.pttl(`session:${sessionId}`),
    index: await admin.pttl(`client_session:${userId}:${clientId}`),
    byUser: await admin.pttl(`session:user_sessions:${userId}`),
  });

  it("sets a 30 minute TTL on session:* and client_session:* at create, touch and write", async () => {
    const { session } = await store.createOrResume({ userId: "ttl_user", clientId: "ttl_client", caseId: "", context: {} });
    expect(await admin.get("client_session:ttl_user:ttl_client")).toBe(session.sessionId);
    expect(await admin.type(`session:${session.sessionId}`)).toBe("hash");
    const near = (ms: number) => expect(ms).toBeGreaterThan(1_800_000 - 2_000);
    let t = await ttls(session.sessionId, "ttl_user", "ttl_client");
    near(t.session);
    near(t.index);
    near(t.byUser);

    // Age the keys, then check that touch and a write renew both.
    await admin.pexpire(`session:${session.sessionId}`, 60_000);
    await admin.pexpire("client_session:ttl_user:ttl_client", 60_000);
    await store.touch(session.sessionId);
    t = await ttls(session.sessionId, "ttl_user", "ttl_client");
    near(t.session);
    near(t.index);

    await admin.pexpire(`session:${session.sessionId}`, 60_000);
    await admin.pexpire("client_session:ttl_user:ttl_client", 60_000);
    await store.appendMessage(session.sessionId, { role: "user", content: "hello", metadata: {} });
    t = await ttls(session.sessionId, "ttl_user", "ttl_client");
    near(t.session);
    near(t.index);

    await admin.pexpire(`session:${session.sessionId}`, 60_000);
    await admin.pexpire("client_session:ttl_user:ttl_client", 60_000);
    await store.update(session.sessionId, { setContext: { k: "v" } });
    t = await ttls(session.sessionId, "ttl_user", "ttl_client");
    near(t.session);
    near(t.index);
  });

  it("does not renew or delete a client index that points at another session", async () => {
    const { session } = await store.createOrResume({ userId: "u2", clientId: "c2", caseId: "", context: {} });
    await admin.set("client_session:u2:c2", "sess_someoneelse000000000", "PX", 5_000);
    await store.touch(session.sessionId);
    expect(await admin.pttl("client_session:u2:c2")).toBeLessThanOrEqual(5_000);
    await store.delete(session.sessionId);
    expect(await admin.get("client_session:u2:c2")).toBe("sess_someoneelse000000000");
  });

  it("resumes nothing through an index whose session is gone", async () => {
    await admin.set("client_session:u3:c3", "sess_deaddeaddeaddeaddead", "PX", 60_000);
    const { session, resumed } = await store.createOrResume({ userId: "u3", clientId: "c3", caseId: "", context: {} });
    expect(resumed).toBe(false);
    expect(await admin.get("client_session:u3:c3")).toBe(session.sessionId);
  });
});
