import { toBinary } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import { GetSessionResponseSchema, ListSessionsResponseSchema, MessageRole, SessionService } from "@faultmaven/contract/session";
import { createClient } from "@faultmaven/grpc-kit";
import { type RedisServer, serviceOnFreshRedis } from "@faultmaven/test-kit";
import { SESSION_LIMITS } from "../src/domain/session-limits.js";
import { failure, startSessionService } from "./service-harness.js";

/**
 * The session limits as callers meet them: a real session-svc process on a
 * real Redis, called over gRPC, the Redis hash read back from Redis itself.
 */
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startSessionService>>;

serviceOnFreshRedis(
  // Bursts of maximum-size writes make Redis answer slowly on a busy box: these tests are about limits, not timeouts.
  (fresh) => startSessionService({ ...fresh.env, REDIS_COMMAND_TIMEOUT_MS: "10000" }),
  (started) => ({ redis, svc } = started),
);

const MiB = 1024 * 1024;
/** What docs/key-schema.md promises of one session hash in Redis (MEMORY USAGE, allocator overhead included). */
const HASH_MEMORY_BOUND = 2.5 * MiB;
const DEFAULT_RECEIVE_LIMIT = 4 * MiB;

let n = 0;
const unique = (prefix: string) => `${prefix}_${++n}`;
/** A context key of exactly 64 bytes. */
const key64 = (name: string) => name.padEnd(64, "k");

async function newSession(userId = unique("user")): Promise<string> {
  return (await svc.client.createSession({ userId, clientId: unique("client") })).session!.sessionId;
}

/**
 * The session as Redis holds it (hash and message list): field count, counters (absent while 0), memory of
 * both keys, and the context and message bytes counted afresh.
 */
async function hashOf(sessionId: string) {
  const key = `session:${sessionId}`;
  const messagesKey = `{session:${sessionId}}:msgs`;
  const hash = await redis.admin.hgetall(key);
  const contextFields = Object.entries(hash).filter(([field]) => field.startsWith("c:"));
  const counter = (name: string) => Number(hash[name] ?? 0);
  // SAMPLES 0: every field or element counted (the default samples 5 and can be far off).
  const usage = async (k: string) => (await redis.admin.memory("USAGE", k, "SAMPLES", 0)) ?? 0;
  return {
    fields: await redis.admin.hlen(key),
    contextEntries: contextFields.length,
    contextBytes: contextFields.reduce((sum, [field, value]) => sum + Buffer.byteLength(field) - 2 + Buffer.byteLength(value), 0),
    messageBytes: (await redis.admin.lrange(messagesKey, 0, -1)).reduce((sum, value) => sum + Buffer.byteLength(value), 0),
    counters: { entries: counter("ctx_entries"), contextBytes: counter("ctx_bytes"), messageBytes: counter("msg_bytes") },
    memory: (await usage(key)) + (await usage(messagesKey)),
  };
}

/** Four new 64-byte keys with values of `valueBytes`, as one UpdateSession. */
function addFour(sessionId: string, call: number, valueBytes: number) {
  const setContext = Object.fromEntries(Array.from({ length: 4 }, (_, j) => [key64(`c${call}_${j}_`), "v".repeat(valueBytes)]));
  return svc.client.updateSession({ session: { sessionId }, setContext });
}

describe("session limits over gRPC", () => {
  it("ends 1,000 UpdateSession calls adding new context keys in refusals naming the entry limit, the hash under its bound", async () => {
    const sessionId = await newSession();
    const outcomes: string[] = [];
    for (let call = 0; call < 1000; call++) {
      const refused = await addFour(sessionId, call, 16).then(
        () => undefined,
        (error: unknown) => failure(Promise.reject(error)),
      );
      outcomes.push(refused ? `${refused.code}:${refused.reason}:${refused.subjects.join()}` : "ok");
    }
    // 64 calls of 4 new keys fill the 256 entries; every later call is refused.
    expect(outcomes.slice(0, 64).every((o) => o === "ok")).toBe(true);
    expect(new Set(outcomes.slice(64))).toEqual(new Set([`${status.FAILED_PRECONDITION}:LIMIT_EXCEEDED:session.context_entries`]));
    const hash = await hashOf(sessionId);
    expect(hash.contextEntries).toBe(SESSION_LIMITS.contextEntries);
    expect(hash.counters).toEqual({ entries: hash.contextEntries, contextBytes: hash.contextBytes, messageBytes: 0 });
    expect(hash.fields).toBeLessThan(SESSION_LIMITS.contextEntries + 20);
    expect(hash.memory).toBeLessThan(HASH_MEMORY_BOUND);
  }, 60_000);

  it("refuses context past 512 KiB naming the byte limit, the counter equal to the bytes Redis holds", async () => {
    const sessionId = await newSession();
    let accepted = 0;
    let refusal: Awaited<ReturnType<typeof failure>> | undefined;
    for (let call = 0; call < 100 && refusal === undefined; call++) {
      await addFour(sessionId, call, 4096).then(
        () => accepted++,
        async (error: unknown) => {
          refusal = await failure(Promise.reject(error));
        },
      );
    }
    // 4 x (64 + 4096) bytes a call: 31 calls fit 524288 bytes, the 32nd does not.
    expect(accepted).toBe(31);
    expect(refusal).toMatchObject({ code: status.FAILED_PRECONDITION, reason: "LIMIT_EXCEEDED", subjects: ["session.context_bytes"] });
    const hash = await hashOf(sessionId);
    expect(hash.contextBytes).toBe(31 * 4 * (64 + 4096));
    expect(hash.counters.contextBytes).toBe(hash.contextBytes);
    expect(hash.memory).toBeLessThan(HASH_MEMORY_BOUND);
  }, 60_000);

  it("keeps sessions filled to every limit readable by a grpc-js client with the default 4 MiB receive limit", async () => {
    const userId = unique("user");
    const ids: string[] = [];
    for (let s = 0; s < 3; s++) {
      const sessionId = await newSession(userId);
      ids.unshift(sessionId);
      // 256 entries of 64 + 1984 bytes: both context limits exactly.
      for (let call = 0; call < 64; call++) await addFour(sessionId, call, 1984);
      // 50 messages of the largest size the contract admits; the oldest make room.
      const metadata = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [key64(`m${i}_`), "é".repeat(512)]));
      for (let m = 0; m < 50; m++) {
        await svc.client.appendMessage({ sessionId, message: { role: MessageRole.ASSISTANT, content: "ü".repeat(16_384), metadata } });
      }
      const hash = await hashOf(sessionId);
      expect(hash.counters).toEqual({ entries: 256, contextBytes: SESSION_LIMITS.contextBytes, messageBytes: hash.messageBytes });
      expect(hash.messageBytes).toBeLessThanOrEqual(SESSION_LIMITS.messageBytes);
      expect(hash.messageBytes).toBeGreaterThan(SESSION_LIMITS.messageBytes - 100_000);
      expect(hash.memory).toBeLessThan(HASH_MEMORY_BOUND);
    }
    const reader = createClient(SessionService, svc.service.address);
    try {
      for (const sessionId of ids) {
        const got = await reader.getSession({ sessionId });
        expect(Object.keys(got.session!.context)).toHaveLength(256);
        expect(toBinary(GetSessionResponseSchema, got).length).toBeLessThan(DEFAULT_RECEIVE_LIMIT / 2);
      }
      const listed: string[] = [];
      let pageToken = "";
      do {
        const page = await reader.listSessions({ userId, pageSize: 100, pageToken });
        expect(toBinary(ListSessionsResponseSchema, page).length).toBeLessThan(DEFAULT_RECEIVE_LIMIT * 0.75);
        listed.push(...page.sessions.map((s) => s.sessionId));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      expect(listed).toEqual(ids);
    } finally {
      reader.close();
    }
  }, 120_000);

  it("lets no burst of parallel UpdateSession and AppendMessage calls on one session pass a limit", async () => {
    const sessionId = await newSession();
    const updates = Array.from({ length: 200 }, (_, call) =>
      addFour(sessionId, call, 1984).then(
        () => "ok",
        async (error: unknown) => (await failure(Promise.reject(error))).subjects.join(),
      ),
    );
    const appends = Array.from({ length: 60 }, () =>
      svc.client.appendMessage({ sessionId, message: { role: MessageRole.USER, content: "x".repeat(32_768) } }).then(() => "ok"),
    );
    const updateOutcomes = await Promise.all(updates);
    expect(await Promise.all(appends)).toEqual(Array(60).fill("ok"));
    // 64 updates fill 256 entries and 512 KiB exactly; whichever come later are refused.
    expect(updateOutcomes.filter((o) => o === "ok")).toHaveLength(64);
    expect(updateOutcomes.filter((o) => o !== "ok").every((o) => o.startsWith("session.context_"))).toBe(true);
    const hash = await hashOf(sessionId);
    expect(hash.contextEntries).toBe(256);
    expect(hash.contextBytes).toBe(SESSION_LIMITS.contextBytes);
    expect(hash.messageBytes).toBeLessThanOrEqual(SESSION_LIMITS.messageBytes);
    expect(hash.counters).toEqual({ entries: 256, contextBytes: hash.contextBytes, messageBytes: hash.messageBytes });
  }, 60_000);
});
