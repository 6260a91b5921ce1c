import type { MessageShape } from "@bufbuild/protobuf";
import { MessageRole, type WatchSessionResponseSchema } from "@faultmaven/contract/session";
import { status } from "@grpc/grpc-js";
import { RedisServer, waitFor } from "@faultmaven/test-kit";
import { startSessionService } from "./service-harness.js";
import { untilEach, WatchStream } from "./watch-streams.js";

type WatchResponse = MessageShape<typeof WatchSessionResponseSchema>;
type Service = Awaited<ReturnType<typeof startSessionService>>;

/**
 * WatchSession's process-wide limits, on real session-svc processes over
 * gRPC: the cap on one caller's watchers, the byte budget all watchers'
 * buffers share, and buffer sizes counted in UTF-8 bytes.
 */
let redis: RedisServer;
const services: Service[] = [];
const start = async (env: Record<string, string>) => {
  const svc = await startSessionService({ ...redis.env, ...env });
  services.push(svc);
  return svc;
};
beforeAll(async () => {
  redis = await RedisServer.start();
}, 60_000);
afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await redis?.close();
});

let n = 0;
const newSession = async (svc: Service) => (await svc.client.createSession({ userId: `limit_user_${++n}`, clientId: "c" })).session!;

/** A watch whose caller takes the opening message, then reads nothing until `drain`: its events wait in the server. */
class StalledWatch {
  readonly #iterator: AsyncIterator<WatchResponse>;
  readonly controller = new AbortController();

  constructor(svc: Service, sessionId: string) {
    this.#iterator = svc.client.watchSession({ sessionId }, { signal: this.controller.signal })[Symbol.asyncIterator]();
  }

  async opening(): Promise<WatchResponse> {
    return (await this.#iterator.next()).value as WatchResponse;
  }

  /** Reads until a message at `version`, and returns every message read. */
  async drainTo(version: number): Promise<WatchResponse[]> {
    const read: WatchResponse[] = [];
    while (read.at(-1)?.version !== BigInt(version)) {
      const step = await this.#iterator.next();
      if (step.done) throw new Error(`the stream ended after ${read.length} messages`);
      read.push(step.value);
    }
    this.controller.abort();
    return read;
  }
}

/** Appends `count` messages of `content`, one after another. */
const appendAll = async (svc: Service, sessionId: string, count: number, content: string) => {
  for (let i = 0; i < count; i++) await svc.client.appendMessage({ sessionId, message: { role: MessageRole.USER, content } });
};
const resyncs = (messages: WatchResponse[]) => messages.filter((m) => m.event.case === "snapshot").length;
/** The versions read after the last snapshot follow it with no gap. */
const noGapAfterLastSnapshot = (messages: WatchResponse[]) => {
  const versions = messages.map((m) => Number(m.version));
  const from = messages.findLastIndex((m) => m.event.case === "snapshot");
  const after = versions.slice(from === -1 ? 0 : from);
  return after.every((v, i) => i === 0 || v === after[i - 1]! + 1);
};

describe("WatchSession limits over gRPC", () => {
  it("refuses a caller's watchers past WATCH_MAX_WATCHERS_PER_CALLER with RESOURCE_EXHAUSTED, of 10 opened at once, and takes one again after a cancel", async () => {
    const svc = await start({ WATCH_MAX_WATCHERS_PER_CALLER: "3" });
    const session = await newSession(svc);
    const watchers = Array.from({ length: 10 }, () => new WatchStream(svc.client, { sessionId: session.sessionId }));
    await waitFor("every stream opened or ended", async () => watchers.every((w) => w.done || w.messages.length > 0), 10_000);
    const open = watchers.filter((w) => !w.done);
    const turnedAway = watchers.filter((w) => w.done);
    expect(open).toHaveLength(3);
    for (const w of open) expect(w.messages[0]!.event.case).toBe("snapshot");
    expect(await Promise.all(turnedAway.map((w) => w.ended))).toEqual(Array(7).fill(status.RESOURCE_EXHAUSTED));
    for (const w of turnedAway) expect(w.details).toMatch(/caller already has its maximum of 3 session watchers/);
    open[0]!.cancel();
    await open[0]!.ended;
    const again = new WatchStream(svc.client, { sessionId: session.sessionId });
    await untilEach([again], 1, 10_000);
    expect(again.messages[0]!.event.case).toBe("snapshot");
    for (const w of [...open, again]) w.cancel();
  }, 60_000);

  it("counts a watcher's buffer in UTF-8 bytes: 100 waiting appends of 5000 'é' pass WATCH_BUFFER_BYTES=500000 and bring a snapshot, of 5000 'e' do not", async () => {
    const svc = await start({ WATCH_BUFFER_BYTES: "500000", WATCH_BUFFER_EVENTS: "100000" });
    const outcome = async (content: string) => {
      const session = await newSession(svc);
      const watch = new StalledWatch(svc, session.sessionId);
      expect((await watch.opening()).event.case).toBe("snapshot");
      await appendAll(svc, session.sessionId, 100, content);
      return watch.drainTo(101);
    };
    const ascii = await outcome("e".repeat(5000));
    expect(resyncs(ascii)).toBe(0);
    expect(ascii.map((m) => Number(m.version))).toEqual(Array.from({ length: 100 }, (_, i) => i + 2));
    const accented = await outcome("é".repeat(5000));
    expect(resyncs(accented)).toBeGreaterThan(0);
    expect(noGapAfterLastSnapshot(accented)).toBe(true);
  }, 120_000);

  it("keeps all watchers' buffers within WATCH_BUFFER_BUDGET_BYTES: one stalled watcher keeps every event, of 4 some get a snapshot instead, and none misses a change", async () => {
    const svc = await start({ WATCH_BUFFER_BUDGET_BYTES: "600000", WATCH_BUFFER_EVENTS: "100000" });
    const content = "e".repeat(5000);
    const alone = await newSession(svc);
    const single = new StalledWatch(svc, alone.sessionId);
    expect((await single.opening()).event.case).toBe("snapshot");
    await appendAll(svc, alone.sessionId, 100, content);
    const read = await single.drainTo(101);
    expect(resyncs(read)).toBe(0);
    expect(read).toHaveLength(100);

    const shared = await newSession(svc);
    const four = Array.from({ length: 4 }, () => new StalledWatch(svc, shared.sessionId));
    for (const w of four) expect((await w.opening()).event.case).toBe("snapshot");
    await appendAll(svc, shared.sessionId, 100, content);
    const reads = await Promise.all(four.map((w) => w.drainTo(101)));
    expect(reads.map(resyncs).reduce((a, b) => a + b)).toBeGreaterThan(0);
    for (const r of reads) expect(noGapAfterLastSnapshot(r)).toBe(true);
  }, 120_000);
});
