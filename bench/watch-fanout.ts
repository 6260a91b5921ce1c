/**
 * `pnpm bench:watch`: WatchSession fan-out latency, from just before an
 * AppendMessage is sent to each watcher's receipt of its event (the write
 * script publishes it; one subscriber connection fans it out), with 1 and
 * with 500 watchers of one session on one session-svc process and a real
 * redis-server, both started here on free ports. Appends are sent one at a
 * time, 20 ms apart; p50/p99 over every (watcher, append) pair.
 */
import { setMaxListeners } from "node:events";
import { EnvReader } from "@faultmaven/config";
import { MessageRole, SessionService } from "@faultmaven/contract/session";
import { createClient } from "@faultmaven/grpc-kit";
import { RedisServer } from "@faultmaven/test-kit";
import { buildServices, startService } from "./service-under-test.js";

const APPENDS = new EnvReader().integer("BENCH_WATCH_APPENDS", 50, 1, 10_000);
const redis = await RedisServer.start();
buildServices("session-svc");
// Every watcher comes from 127.0.0.1, one caller to the per-caller cap: let it have the process's share.
const service = await startService("session-svc", SessionService, {
  ...redis.env,
  LOG_LEVEL: "warn",
  WATCH_MAX_WATCHERS_PER_CALLER: "1000",
});
const address = `127.0.0.1:${service.port}`;
const clients = Array.from({ length: 5 }, () =>
  createClient(SessionService, address, { channelOptions: { "grpc.use_local_subchannel_pool": 1 } }),
);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

async function fanOut(watchers: number): Promise<{ p50: number; p99: number; samples: number }> {
  const { session } = await service.client.createSession({ userId: `bench_watch_${watchers}`, clientId: "c" });
  const sessionId = session!.sessionId;
  const controller = new AbortController();
  // One signal cancels every stream at the end.
  setMaxListeners(watchers + 10, controller.signal);
  const sentAt = new Map<bigint, number>();
  const latencies: number[] = [];
  let opened = 0;
  const streams = Array.from({ length: watchers }, async (_, i) => {
    try {
      for await (const message of clients[i % clients.length]!.watchSession({ sessionId }, { signal: controller.signal })) {
        if (message.event.case === "snapshot") opened += 1;
        const sent = sentAt.get(message.version);
        if (message.event.case === "messageAppended" && sent !== undefined) latencies.push(performance.now() - sent);
      }
    } catch {
      // cancelled at the end
    }
  });
  while (opened < watchers) await new Promise((resolve) => setTimeout(resolve, 20));
  for (let i = 0; i < APPENDS; i++) {
    // The append makes version i + 2 (the session was created at 1).
    sentAt.set(BigInt(i + 2), performance.now());
    await service.client.appendMessage({ sessionId, message: { role: MessageRole.USER, content: `bench ${i}` } });
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const expected = watchers * APPENDS;
  const until = Date.now() + 60_000;
  while (latencies.length < expected && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
  controller.abort();
  await Promise.all(streams);
  if (latencies.length < expected) throw new Error(`only ${latencies.length} of ${expected} events arrived`);
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), samples: latencies.length };
}

try {
  console.log(`WatchSession fan-out latency, write to delivery (${APPENDS} appends one at a time, 20 ms apart)`);
  console.log("watchers   p50 ms   p99 ms   samples");
  for (const watchers of [1, 500]) {
    const { p50, p99, samples } = await fanOut(watchers);
    console.log(
      `${String(watchers).padStart(8)} ${p50.toFixed(1).padStart(8)} ${p99.toFixed(1).padStart(8)} ${String(samples).padStart(9)}`,
    );
  }
} finally {
  for (const client of clients) client.close();
  service.stop();
  await redis.close();
}
