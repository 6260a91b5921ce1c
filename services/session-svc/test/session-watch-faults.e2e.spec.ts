import { status } from "@grpc/grpc-js";
import { RedisServer, waitFor } from "@faultmaven/test-kit";
import { startSessionService } from "./service-harness.js";
import { untilEach, WatchStream } from "./watch-streams.js";

/**
 * WatchSession under faults, on a real session-svc process: a watcher is
 * never left waiting on a stream that can no longer promise every change.
 * Every stream ends with UNAVAILABLE (callers reconnect, to any replica,
 * with from_version) when Redis is killed, when it freezes, and when the
 * service shuts down.
 */
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startSessionService>>;

beforeAll(async () => {
  redis = await RedisServer.start();
  svc = await startSessionService(redis.env);
}, 60_000);
afterAll(async () => {
  await svc?.stop();
  await redis?.close();
});

let n = 0;
const watchersOfNewSession = async (count: number) => {
  const { session } = await svc.client.createSession({ userId: `fault_user_${++n}`, clientId: "c" });
  const watchers = Array.from({ length: count }, () => new WatchStream(svc.client, { sessionId: session!.sessionId }));
  await untilEach(watchers, 1, 20_000);
  return watchers;
};
/** Resolves with every stream's final code, or fails if any is still open after `ms`. */
const endings = async (watchers: WatchStream[], ms: number) => {
  await waitFor(`all ${watchers.length} streams ended within ${ms} ms`, async () => watchers.every((w) => w.done), ms);
  return Promise.all(watchers.map((w) => w.ended));
};

describe("WatchSession under faults", () => {
  it("ends every stream with UNAVAILABLE when Redis is killed, and watches again once Redis is back", async () => {
    const watchers = await watchersOfNewSession(50);
    await redis.stop();
    try {
      expect(new Set(await endings(watchers, 5000))).toEqual(new Set([status.UNAVAILABLE]));
    } finally {
      await redis.start();
    }
    let again: WatchStream | undefined;
    await waitFor(
      "a watch after the restart",
      async () => {
        [again] = await watchersOfNewSession(1);
        return true;
      },
      15_000,
    );
    expect(again!.messages[0]!.event.case).toBe("snapshot");
    again!.cancel();
  }, 60_000);

  it("ends every stream with UNAVAILABLE within seconds when Redis freezes (SIGSTOP)", async () => {
    const watchers = await watchersOfNewSession(50);
    redis.pause();
    try {
      expect(new Set(await endings(watchers, 5000))).toEqual(new Set([status.UNAVAILABLE]));
    } finally {
      redis.resume();
    }
  }, 60_000);

  it("ends every stream with UNAVAILABLE at once on graceful shutdown (SIGTERM)", async () => {
    await waitFor("serving again", () => svc.serving().catch(() => false), 15_000);
    const watchers = await watchersOfNewSession(50);
    const stopped = svc.stop();
    expect(new Set(await endings(watchers, 5000))).toEqual(new Set([status.UNAVAILABLE]));
    expect(await stopped).toBe(0);
  }, 60_000);
});
