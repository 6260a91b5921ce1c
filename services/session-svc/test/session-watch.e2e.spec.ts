import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MessageRole, SessionService } from "@faultmaven/contract/session";
import { createClient } from "@faultmaven/grpc-kit";
import { status } from "@grpc/grpc-js";
import { LiveHeap, metricIn, RedisServer, scrapeMetrics, waitFor } from "@faultmaven/test-kit";
import { sessionChannel } from "../src/redis/session-channel.js";
import { failure, startSessionService } from "./service-harness.js";
import { untilEach, WatchStream } from "./watch-streams.js";

/** WatchSession as callers see it: real session-svc processes on a real Redis, over gRPC. */
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startSessionService>>;
let replica: Awaited<ReturnType<typeof startSessionService>>;
const liveHeap = new LiveHeap();

beforeAll(async () => {
  redis = await RedisServer.start();
  // Every watcher here comes from 127.0.0.1, one caller to the per-caller cap: let it have the process's share.
  const env = { ...redis.env, WATCH_MAX_WATCHERS_PER_CALLER: "1000", ...liveHeap.env };
  [svc, replica] = await Promise.all([startSessionService(env), startSessionService(env)]);
}, 60_000);
afterAll(async () => {
  await Promise.all([svc?.stop(), replica?.stop()]);
  await redis?.close();
  liveHeap.remove();
});

let n = 0;
const newSession = async () => (await svc.client.createSession({ userId: `watch_user_${++n}`, clientId: "c" })).session!;
const numsub = async (sessionId: string) =>
  Number(((await redis.admin.pubsub("NUMSUB", sessionChannel(sessionId))) as [string, number])[1]);
/** Separate client connections (each with its own HTTP/2 connection), as separate callers have. */
const connections = (count: number, address: string) =>
  Array.from({ length: count }, () => createClient(SessionService, address, { channelOptions: { "grpc.use_local_subchannel_pool": 1 } }));

describe("WatchSession over gRPC", () => {
  it("sends every one of 200 interleaved appends and updates, in version order with no gap, to each of 500 watchers", async () => {
    const session = await newSession();
    const clients = connections(5, svc.service.address);
    try {
      const watchers = Array.from({ length: 500 }, (_, i) => new WatchStream(clients[i % 5]!, { sessionId: session.sessionId }));
      await untilEach(watchers, 1, 30_000);
      const writes = Array.from({ length: 200 }, (_, i) => i);
      // Ten writers at a time, appends and updates interleaved.
      for (let i = 0; i < writes.length; i += 10) {
        await Promise.all(
          writes
            .slice(i, i + 10)
            .map((w) =>
              w % 2 === 0
                ? svc.client.appendMessage({ sessionId: session.sessionId, message: { role: MessageRole.USER, content: `m${w}` } })
                : svc.client.updateSession({ session: { sessionId: session.sessionId }, setContext: { [`k${w}`]: `v${w}` } }),
            ),
        );
      }
      await untilEach(watchers, 201, 150_000);
      for (const watcher of watchers) {
        expect(watcher.messages[0]!.event.case).toBe("snapshot");
        expect(watcher.messages.map((m) => Number(m.version))).toEqual(Array.from({ length: 201 }, (_, i) => i + 1));
        expect(watcher.messages.filter((m) => m.event.case === "messageAppended")).toHaveLength(100);
        expect(watcher.messages.filter((m) => m.event.case === "sessionUpdated")).toHaveLength(100);
      }
      for (const watcher of watchers) watcher.cancel();
      await Promise.all(watchers.map((w) => w.ended));
      await waitFor("the channel unsubscribed", async () => (await numsub(session.sessionId)) === 0);
    } finally {
      for (const client of clients) client.close();
    }
  }, 240_000);

  it("brings a write made through one replica to a watcher connected to another", async () => {
    const session = await newSession();
    const watcher = new WatchStream(replica.client, { sessionId: session.sessionId });
    await untilEach([watcher], 1, 10_000);
    await svc.client.appendMessage({
      sessionId: session.sessionId,
      message: { role: MessageRole.ASSISTANT, content: "from the other replica" },
    });
    await svc.client.deleteSession({ sessionId: session.sessionId });
    expect(await watcher.ended).toBe(status.OK);
    expect(watcher.messages.map((m) => [m.event.case, Number(m.version)])).toEqual([
      ["snapshot", 1],
      ["messageAppended", 2],
      ["deleted", 3],
    ]);
    expect(watcher.messages[1]!.event.value).toMatchObject({ message: { content: "from the other replica" }, messageCount: 1n });
  });

  it("opens with caughtUp for a caller at the current version, and answers NOT_FOUND and INVALID_ARGUMENT before any message", async () => {
    const session = await newSession();
    const current = new WatchStream(svc.client, { sessionId: session.sessionId, fromVersion: 1n, includeTouches: true });
    await untilEach([current], 1, 10_000);
    await svc.client.touchSession({ sessionId: session.sessionId });
    await untilEach([current], 2, 10_000);
    expect(current.messages.map((m) => [m.event.case, Number(m.version)])).toEqual([
      ["caughtUp", 1],
      ["touched", 1],
    ]);
    current.cancel();
    const missing = new WatchStream(svc.client, { sessionId: "sess_AAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(await missing.ended).toBe(status.NOT_FOUND);
    expect(missing.messages).toEqual([]);
    const invalid = await failure(collect(svc.client.watchSession({ sessionId: "nope" })));
    expect(invalid).toMatchObject({ code: status.INVALID_ARGUMENT, fields: ["session_id"] });
  });

  it("ends a stream at its deadline with DEADLINE_EXCEEDED and frees its subscription at once", async () => {
    const session = await newSession();
    const started = Date.now();
    const outcome = await failure(collect(svc.client.watchSession({ sessionId: session.sessionId }, { timeoutMs: 500 })));
    expect(outcome.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(2000);
    await waitFor("the channel unsubscribed", async () => (await numsub(session.sessionId)) === 0, 1000);
  });

  it("runs the README's buf curl watch line: the snapshot, a message appended from another terminal, then deleted", async () => {
    const session = await newSession();
    const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8");
    const section = readme.slice(readme.indexOf("## Watching a session"), readme.indexOf("## Operating it"));
    const line = section
      .replace(/\\\n\s*/g, " ")
      .split("\n")
      .find((l) => l.startsWith("npx buf curl"))!;
    expect(line).toContain("/faultmaven.session.v1.SessionService/WatchSession");
    const command = line.replace("http://localhost:50051/", `http://${svc.service.address}/`).replace("sess_...", session.sessionId);
    const child = spawn("sh", ["-c", command], { cwd: fileURLToPath(new URL("../../..", import.meta.url)) });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await waitFor("the snapshot printed", () => output.includes('"snapshot"'), 20_000);
    await svc.client.appendMessage({ sessionId: session.sessionId, message: { role: MessageRole.USER, content: "db-1 is back" } });
    await waitFor("the append printed", () => output.includes("db-1 is back"), 10_000);
    await svc.client.deleteSession({ sessionId: session.sessionId });
    expect(await exited).toBe(0);
    expect(output).toMatch(/"snapshot"[\s\S]*"messageAppended"[\s\S]*"deleted"/);
  }, 60_000);

  it("leaves no subscription behind and does not grow the process after 10,000 watch/cancel cycles", async () => {
    const session = await newSession();
    // Each cancel is an RST_STREAM: a connection that sends too many too fast is closed by the server's HTTP/2
    // rapid-reset protection (nghttp2), so the cycles move to a new connection every 400 (as many callers would).
    const clients: ReturnType<typeof connections> = [];
    const clientFor = (cycle: number) => {
      const index = Math.floor(cycle / 400);
      while (clients.length <= index) clients.push(...connections(1, svc.service.address));
      return clients[index]!;
    };
    let started = 0;
    const cycles = async (count: number) => {
      const end = started + count;
      await Promise.all(
        Array.from({ length: 40 }, async () => {
          while (started < end) {
            const cycle = started++;
            const watcher = new WatchStream(clientFor(cycle), { sessionId: session.sessionId });
            await untilEach([watcher], 1, 10_000);
            watcher.cancel();
            await watcher.ended;
          }
        }),
      );
    };
    try {
      // The first cycles warm the process up (JIT, pools, heap growth); from then on its live heap, measured
      // after a full garbage collection, must stay level.
      await cycles(2000);
      const before = await liveHeap.bytes(svc.service);
      await cycles(8000);
      const after = await liveHeap.bytes(svc.service);
      await waitFor("the channel unsubscribed", async () => (await numsub(session.sessionId)) === 0);
      console.log(
        `10,000 watch/cancel cycles: live heap MB ${(before / 1048576).toFixed(1)} after 2000, ${(after / 1048576).toFixed(1)} after 10,000; RSS MB ${(svc.service.rssBytes() / 1048576).toFixed(1)}`,
      );
      // A leak of 1 KB a cycle would add 8 MB over the 8000 cycles between the two.
      expect(after - before).toBeLessThan(8 * 1024 * 1024);
      expect(await metric(svc.service.metricsPort, "grpc_server_streams_open")).toBe(0);
    } finally {
      for (const client of clients) client.close();
    }
  }, 400_000);
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of stream) all.push(item);
  return all;
}

/** NaN when the service does not export it, so no comparison passes. */
async function metric(port: number, name: string): Promise<number> {
  return metricIn(await scrapeMetrics(port), name) ?? Number.NaN;
}
