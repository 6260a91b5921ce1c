import { SESSION_LIMITS } from "../src/domain/session-limits.js";
import type { Redis } from "ioredis";
import { createRedisClient, idempotencyRecordKey, readRedisConfig, type RedisClient, STALE_PLAN } from "@faultmaven/redis";
import { runInCallScope } from "@faultmaven/call-scope";
import { EnvReader } from "@faultmaven/config";
import { RedisServer, withServiceClockADayBehind } from "@faultmaven/test-kit";
import { RedisSessionStore } from "../src/redis/redis-session-store.js";
import type { AppendOutcome, MessageRecord } from "../src/domain/session.js";
import { CREATE_OR_RESUME } from "../src/redis/scripts/create-or-resume-script.js";
import { sessionLimitsContract } from "./session-limits-contract.js";
import { type StoreFactory, sessionStoreContract } from "./session-store-contract.js";
import { sessionStoreIdempotencyContract } from "./session-store-idempotency-contract.js";
import { sessionWatchContract, WatchReader } from "./session-watch-contract.js";
import { writeEarlierLayout } from "./earlier-session-layout.js";
import { bytesPerRecord } from "../../../bench/memory-per-record.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis.close();
});

const openStore: StoreFactory = async (policy) => {
  const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "session-store-test");
  await client.connect();
  return new RedisSessionStore(client, policy, "standalone");
};

sessionStoreContract("RedisSessionStore", openStore);
sessionStoreIdempotencyContract("RedisSessionStore", openStore);
sessionLimitsContract("RedisSessionStore", openStore);
sessionWatchContract("RedisSessionStore", async (policy, limits) => {
  const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "session-watch-test");
  await client.connect();
  return new RedisSessionStore(client, policy, "standalone", limits);
});

describe("RedisSessionStore keys and TTLs, read from Redis itself", () => {
  const policy = { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 50, limits: SESSION_LIMITS };
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

  it("renews the indexes of a session this process has not seen yet (follow-up calls), then knows it", async () => {
    const { session } = await store.createOrResume({ userId: "u4", clientId: "c4", caseId: "", context: {} });
    const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "other-replica");
    await client.connect();
    const other = new RedisSessionStore(client, policy, "standalone");
    try {
      await admin.pexpire("client_session:u4:c4", 60_000);
      await admin.pexpire("session:user_sessions:u4", 60_000);
      await other.touch(session.sessionId);
      const t = await ttls(session.sessionId, "u4", "c4");
      expect(t.index).toBeGreaterThan(1_800_000 - 2_000);
      expect(t.byUser).toBeGreaterThan(1_800_000 - 2_000);
      await other.delete(session.sessionId);
      expect(await admin.exists("client_session:u4:c4")).toBe(0);
      expect(await admin.zscore("session:user_sessions:u4", session.sessionId)).toBeNull();
    } finally {
      await other.close();
    }
  });

  it("touches and appends to a session it knows in one round trip, indexes included", async () => {
    const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "round-trips");
    await client.connect();
    const counted = new RedisSessionStore(client, policy, "standalone");
    try {
      const { session } = await counted.createOrResume({ userId: "u5", clientId: "c5", caseId: "", context: {} });
      await admin.pexpire("client_session:u5:c5", 60_000);
      const sent: string[] = [];
      const send = client.sendCommand.bind(client);
      client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
        sent.push(command.name);
        return (send as (...args: unknown[]) => unknown)(command, ...rest);
      }) as typeof client.sendCommand;
      await counted.touch(session.sessionId);
      await counted.appendMessage(session.sessionId, { role: "user", content: "hi", metadata: {} });
      expect(sent).toEqual(["evalsha", "evalsha"]);
      expect(await admin.pttl("client_session:u5:c5")).toBeGreaterThan(1_800_000 - 2_000);
    } finally {
      await counted.close();
    }
  });

  it("stamps each message with the Redis clock, not the service's", async () => {
    const { session } = await store.createOrResume({ userId: "u6", clientId: "c6", caseId: "", context: {} });
    const [seconds] = await admin.time();
    const appended = await withServiceClockADayBehind(() =>
      store.appendMessage(session.sessionId, { role: "user", content: "when?", metadata: { k: "v" } }),
    );
    const stored = await admin.lrange(`{session:${session.sessionId}}:msgs`, 0, -1);
    expect(stored).toEqual([`u${appended.message.timestamp}\u001f{"k":"v"}\u001fwhen?`]);
    expect(Math.abs(appended.message.timestamp - Number(seconds) * 1000)).toBeLessThan(2_000);
    expect(appended.message.timestamp).toBe(appended.lastActivity);
  });

  it("resumes nothing through an index whose session is gone", async () => {
    await admin.set("client_session:u3:c3", "sess_deaddeaddeaddeaddead", "PX", 60_000);
    const { session, resumed } = await store.createOrResume({ userId: "u3", clientId: "c3", caseId: "", context: {} });
    expect(resumed).toBe(false);
    expect(await admin.get("client_session:u3:c3")).toBe(session.sessionId);
  });
});

describe("RedisSessionStore CreateSession on standalone: one atomic script", () => {
  const policy = { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 50, limits: SESSION_LIMITS };
  let client: RedisClient;
  let store: RedisSessionStore;
  let admin: Redis;
  beforeAll(async () => {
    client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "create-round-trips");
    await client.connect();
    store = new RedisSessionStore(client, policy, "standalone");
    admin = redis.admin;
    // Warm the script cache so EVALSHA does not need its one-time EVAL fallback.
    await store.createOrResume({ userId: "warm", clientId: "warm", caseId: "", context: {} });
  });
  afterAll(async () => {
    await store.close();
  });

  /**
   * The commands `client` sends while `work` runs, grouped into round trips:
   * commands sent before the same number of replies had come back travel
   * together, and each group waits for a reply of the one before.
   */
  async function roundTrips(work: () => Promise<unknown>): Promise<string[][]> {
    const groups = new Map<number, string[]>();
    let replies = 0;
    const send = client.sendCommand.bind(client) as (...args: unknown[]) => unknown;
    client.sendCommand = ((command: { name: string; promise: Promise<unknown> }, ...rest: unknown[]) => {
      groups.set(replies, [...(groups.get(replies) ?? []), command.name]);
      const counted = () => replies++;
      command.promise.then(counted, counted);
      return send(command, ...rest);
    }) as typeof client.sendCommand;
    try {
      await work();
    } finally {
      client.sendCommand = send as typeof client.sendCommand;
    }
    return [...groups.values()];
  }

  it("creates a session for a new pair in one round trip (the index read travels with the script)", async () => {
    let outcome: Awaited<ReturnType<RedisSessionStore["createOrResume"]>> | undefined;
    const trips = await roundTrips(async () => {
      outcome = await store.createOrResume({ userId: "rt_new", clientId: "c", caseId: "case_1", context: { k: "v" } });
    });
    expect(trips).toEqual([["get", "evalsha"]]);
    const { session, resumed } = outcome!;
    expect(resumed).toBe(false);
    expect(await admin.hget(`session:${session.sessionId}`, "c:k")).toBe("v");
    expect(await admin.get("client_session:rt_new:c")).toBe(session.sessionId);
    expect(await admin.zscore("session:user_sessions:rt_new", session.sessionId)).toBe(String(session.createdAt));
  });

  it("resumes a session the index names in two round trips (plan read, then the script naming it), renewing both indexes", async () => {
    const other = new RedisSessionStore(await connected("other-replica"), policy, "standalone");
    const { session: first } = await other.createOrResume({ userId: "rt_old", clientId: "c", caseId: "", context: {} });
    await other.close();
    await admin.pexpire(`session:${first.sessionId}`, 60_000);
    await admin.pexpire("client_session:rt_old:c", 60_000);
    await admin.pexpire("session:user_sessions:rt_old", 60_000);

    const keysBefore = await admin.dbsize();
    let outcome: Awaited<ReturnType<RedisSessionStore["createOrResume"]>> | undefined;
    const trips = await roundTrips(async () => {
      outcome = await store.createOrResume({ userId: "rt_old", clientId: "c", caseId: "", context: {} });
    });
    expect(trips).toEqual([["get", "evalsha"], ["evalsha"]]);
    expect(outcome).toMatchObject({ resumed: true, session: { sessionId: first.sessionId, userId: "rt_old", clientId: "c" } });
    for (const key of [`session:${first.sessionId}`, "client_session:rt_old:c", "session:user_sessions:rt_old"]) {
      expect(await admin.pttl(key)).toBeGreaterThan(1_800_000 - 2_000);
    }
    // The first script (bet on an empty index) wrote nothing.
    expect(await admin.dbsize()).toBe(keysBefore);
  });

  it("replaces an index naming another user's session with a new session of its own", async () => {
    const { session: stranger } = await store.createOrResume({ userId: "rt_x", clientId: "c", caseId: "", context: {} });
    await admin.set("client_session:rt_y:c", stranger.sessionId, "PX", 60_000);
    const { session, resumed } = await store.createOrResume({ userId: "rt_y", clientId: "c", caseId: "", context: {} });
    expect(resumed).toBe(false);
    expect(session.sessionId).not.toBe(stranger.sessionId);
    expect(await admin.get("client_session:rt_y:c")).toBe(session.sessionId);
    expect(await admin.zrange("session:user_sessions:rt_y", "0", "-1")).toEqual([session.sessionId]);
    expect(await admin.zrange("session:user_sessions:rt_x", "0", "-1")).toEqual([stranger.sessionId]);
  });

  it("writes nothing and answers stale_plan when the client index no longer holds what the plan read", async () => {
    await admin.set("client_session:rt_stale:c", "sess_claimedmeanwhile00000", "PX", 60_000);
    const keys = ["session:sess_wouldbenew0000000000000", "client_session:rt_stale:c", "session:user_sessions:rt_stale"];
    const args = [1_800_000, 0, "", 1000, "sess_wouldbenew0000000000000", "rt_stale", "c", ""];
    const before = await admin.dbsize();
    expect(await CREATE_OR_RESUME.run(admin, keys, args)).toBe(STALE_PLAN);
    expect(await admin.dbsize()).toBe(before);
    expect(await admin.get("client_session:rt_stale:c")).toBe("sess_claimedmeanwhile00000");
  });

  async function connected(name: string): Promise<RedisClient> {
    const c = createRedisClient(readRedisConfig(new EnvReader(redis.env)), name);
    await c.connect();
    return c;
  }
});

describe("RedisSessionStore limit counters, read from Redis itself", () => {
  const policy = { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 3, limits: { ...SESSION_LIMITS, contextEntries: 5 } };
  let store: RedisSessionStore;
  beforeAll(async () => {
    const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "counters");
    await client.connect();
    store = new RedisSessionStore(client, policy, "standalone");
  });
  afterAll(async () => {
    await store.close();
  });

  /** The counters the scripts keep, and the same figures counted from the fields. */
  async function counted(sessionId: string) {
    const hash = await redis.admin.hgetall(`session:${sessionId}`);
    const fields = Object.entries(hash);
    const context = fields.filter(([f]) => f.startsWith("c:"));
    const messages = [
      ...fields.filter(([f]) => f.startsWith("m:")).map(([, v]) => v),
      ...(await redis.admin.lrange(`{session:${sessionId}}:msgs`, 0, -1)),
    ];
    return {
      // A counter at 0 is not stored.
      kept: [hash.ctx_entries, hash.ctx_bytes, hash.msg_bytes].map((counter) => Number(counter ?? 0)),
      actual: [
        context.length,
        context.reduce((sum, [f, v]) => sum + Buffer.byteLength(f) - 2 + Buffer.byteLength(v), 0),
        messages.reduce((sum, v) => sum + Buffer.byteLength(v), 0),
      ],
    };
  }

  it("keeps the counters equal to what the hash holds through creates, sets, overwrites, removes, replaces and trimmed appends", async () => {
    const { session } = await store.createOrResume({ userId: "cnt", clientId: "c", caseId: "", context: { a: "ä", b: "2" } });
    const id = session.sessionId;
    const steps = [
      () => store.update(id, { setContext: { a: "longer value", c: "3" }, removeContext: ["b"] }),
      () => store.update(id, { replaceContext: { x: "1", y: "22" }, setContext: { y: "333", z: "" } }),
      () => store.update(id, { removeContext: ["x", "missing"] }),
      ...Array.from(
        { length: 5 },
        (_, i) => () => store.appendMessage(id, { role: "user", content: `message ${"é".repeat(i)}`, metadata: {} }),
      ),
    ];
    for (const step of steps) {
      await step();
      const { kept, actual } = await counted(id);
      expect(kept).toEqual(actual);
    }
  });

  it("counts a session written before the counters existed once, then enforces the limit on it", async () => {
    const id = await writeEarlierLayout(redis.admin, { userId: "legacy", context: { a: "1", b: "2", c: "3" }, messages: ["before"] });
    await redis.admin.hdel(`session:${id}`, "ctx_entries", "ctx_bytes", "msg_bytes");
    await store.update(id, { setContext: { d: "4" } });
    const { kept, actual } = await counted(id);
    expect([kept, actual[0]]).toEqual([actual, 4]);
    await store.update(id, { setContext: { e: "5" } });
    await expect(store.update(id, { setContext: { f: "6" } })).rejects.toMatchObject({ limit: "session.context_entries" });
  });
});

describe("RedisSessionStore on sessions written by the earlier layout (messages as m:<seq> JSON fields)", () => {
  const policy = { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 3, limits: SESSION_LIMITS };
  let store: RedisSessionStore;
  beforeAll(async () => {
    const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "earlier-layout");
    await client.connect();
    store = new RedisSessionStore(client, policy, "standalone");
  });
  afterAll(async () => {
    await store.close();
  });

  it("reads such a session as it is, messages in order", async () => {
    const id = await writeEarlierLayout(redis.admin, {
      userId: "early_read",
      context: { k: "v" },
      messages: ["one", "two"],
      metadata: { m: "1" },
    });
    const session = await store.get(id);
    expect(session).toMatchObject({ sessionId: id, userId: "early_read", caseId: "", context: { k: "v" }, messageCount: 2, version: 3 });
    expect(session!.messages.map((m) => [m.role, m.content, m.metadata])).toEqual([
      ["user", "one", { m: "1" }],
      ["assistant", "two", { m: "1" }],
    ]);
  });

  it("moves its messages to the message list at its next append (trimming to the policy), dropping the old fields", async () => {
    const id = await writeEarlierLayout(redis.admin, { userId: "early_append", messages: ["one", "two", "three"], metadata: { m: "ü" } });
    const before = await store.get(id);
    const outcome = await store.appendMessage(id, { role: "tool", content: "four", metadata: {} });
    expect(outcome).toMatchObject({ messageCount: 4, trimmedMessages: 1, version: 5 });
    const after = await store.get(id);
    expect(after!.messages).toEqual([...before!.messages.slice(1), outcome.message]);
    const fields = Object.keys(await redis.admin.hgetall(`session:${id}`));
    expect(fields.filter((f) => f === "session_id" || f.startsWith("m:"))).toEqual([]);
    const stored = await redis.admin.lrange(`{session:${id}}:msgs`, 0, -1);
    expect(Number(await redis.admin.hget(`session:${id}`, "msg_bytes"))).toBe(stored.reduce((sum, m) => sum + Buffer.byteLength(m), 0));
    expect(await redis.admin.pttl(`{session:${id}}:msgs`)).toBeGreaterThan(1_800_000 - 2_000);
  });

  it("moves such a session's messages once under 20 concurrent appends, losing none", async () => {
    const big = { ...policy, maxMessages: 50 };
    const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "earlier-layout-race");
    await client.connect();
    const racing = new RedisSessionStore(client, big, "standalone");
    try {
      const id = await writeEarlierLayout(redis.admin, { userId: "early_race", messages: ["one", "two"] });
      const outcomes = await Promise.all(
        Array.from({ length: 20 }, (_, i) => racing.appendMessage(id, { role: "user", content: `race ${i}`, metadata: {} })),
      );
      expect(outcomes.map((o) => o.messageCount).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
      const session = await racing.get(id);
      expect(session!.messages.map((m) => m.content).slice(0, 2)).toEqual(["one", "two"]);
      expect(new Set(session!.messages.map((m) => m.content)).size).toBe(22);
      const stored = await redis.admin.lrange(`{session:${id}}:msgs`, 0, -1);
      expect(Number(await redis.admin.hget(`session:${id}`, "msg_bytes"))).toBe(stored.reduce((sum, m) => sum + Buffer.byteLength(m), 0));
    } finally {
      await racing.close();
    }
  });

  it("answers a retry whose first attempt ran on the earlier version (its record holds no reply) with the session, acting once", async () => {
    const id = await writeEarlierLayout(redis.admin, { userId: "early_retry", messages: ["one"] });
    const fingerprint = "f".repeat(64);
    const retried = (method: string, work: () => Promise<unknown>) => {
      const idempotency = { name: `${method}:k1`, fingerprint, windowMs: 60_000 };
      return runInCallScope({ deadline: undefined, signal: new AbortController().signal, idempotency }, work);
    };
    // What the earlier version recorded for these calls: the request's fingerprint only.
    await redis.admin.set(idempotencyRecordKey(`session:${id}`, "AppendMessage:k1"), fingerprint, "PX", 60_000);
    await redis.admin.set(idempotencyRecordKey(`session:${id}`, "UpdateSession:k1"), fingerprint, "PX", 60_000);
    const appended = await retried("AppendMessage", () => store.appendMessage(id, { role: "user", content: "one", metadata: {} }));
    const updated = await retried("UpdateSession", () => store.update(id, { setContext: { k: "v" } }));
    const now = await store.get(id);
    expect(appended).toMatchObject({ messageCount: 1, version: 2, message: { content: "one", timestamp: now!.lastActivity } });
    expect(updated).toMatchObject({ version: 2 });
    expect(now).toMatchObject({ messageCount: 1, version: 2, context: {} });
  });

  it("updates, touches, locks and deletes such a session", async () => {
    const id = await writeEarlierLayout(redis.admin, { userId: "early_write", messages: ["one"] });
    expect(await store.update(id, { setContext: { k: "v" } })).toMatchObject({ version: 3 });
    await store.touch(id);
    const lock = await store.acquireLock(id, "worker", 10_000);
    await store.releaseLock(id, "worker", lock.fencingToken);
    expect(await store.get(id)).toMatchObject({ context: { k: "v" }, version: 5, messages: [{ content: "one" }] });
    expect(await store.delete(id)).toBe(true);
    expect(await redis.admin.exists(`session:${id}`)).toBe(0);
  });
});

describe("RedisSessionStore memory per record (MEMORY USAGE, as bench/memory-per-record.ts counts it)", () => {
  const policy = { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 50, limits: SESSION_LIMITS };
  let store: RedisSessionStore;
  beforeAll(async () => {
    const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "memory");
    await client.connect();
    store = new RedisSessionStore(client, policy, "standalone");
  });
  afterAll(async () => {
    await store.close();
  });

  it("costs at most 400 bytes for a session as created, its index keys included", async () => {
    const bytes = await bytesPerRecord(redis.admin, (i) =>
      store.createOrResume({ userId: "mem_user", clientId: `mem_${i}`, caseId: "", context: {} }),
    );
    expect(bytes).toBeLessThanOrEqual(400);
  });

  it("costs under 5.8 KB for a session with 20 messages of 200 characters, its index keys included", async () => {
    const bytes = await bytesPerRecord(redis.admin, async (i) => {
      const { session } = await store.createOrResume({ userId: "mem_chat", clientId: `mem_${i}`, caseId: "", context: {} });
      for (let m = 0; m < 20; m++) {
        const content = `${m} `.padEnd(200, "lorem ipsum dolor sit amet ");
        await store.appendMessage(session.sessionId, { role: "user", content, metadata: {} });
      }
    });
    expect(bytes).toBeLessThan(5_800);
  });
});

describe("RedisSessionStore keeps any message exactly, stored compactly and announced as JSON", () => {
  const policy = { idleTtlMs: 1_800_000, maxLifetimeMs: 0, maxMessages: 50, limits: SESSION_LIMITS };
  let store: RedisSessionStore;
  beforeAll(async () => {
    const client = createRedisClient(readRedisConfig(new EnvReader(redis.env)), "exact-messages");
    await client.connect();
    store = new RedisSessionStore(client, policy, "standalone");
  });
  afterAll(async () => {
    await store.close();
  });

  const tricky: Omit<MessageRecord, "timestamp">[] = [
    { role: "user", content: 'quotes " \\ back\\slash / slash\nnewline\ttab', metadata: {} },
    { role: "assistant", content: "separators \u001f\u001f and controls \u0000\u0001\u007f", metadata: { "k.1": "v\u001fw", k_2: '"' } },
    { role: "system", content: "ünïcödé 漢字 emoji 🧯 and \u2028 line separator", metadata: { e: "🧯" } },
    { role: "tool", content: "", metadata: { empty: "" } },
  ];

  it("answers, stores and announces each message as it was given, timestamp added", async () => {
    const { session } = await store.createOrResume({ userId: "exact", clientId: "c", caseId: "", context: {} });
    const reader = new WatchReader(store, session.sessionId);
    await reader.take(1);
    const outcomes: AppendOutcome[] = [];
    for (const message of tricky) outcomes.push(await store.appendMessage(session.sessionId, message));
    const events = await reader.take(tricky.length);
    reader.cancel();
    const expected = tricky.map((message, i) => ({ ...message, timestamp: outcomes[i]!.message.timestamp }));
    expect(outcomes.map((o) => o.message)).toEqual(expected);
    expect((await store.get(session.sessionId))!.messages).toEqual(expected);
    expect(events.map((e) => (e.kind === "message_appended" ? e.message : e.kind))).toEqual(expected);
  });
});
