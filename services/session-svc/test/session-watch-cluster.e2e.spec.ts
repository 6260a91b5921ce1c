import { MessageRole } from "@faultmaven/contract/session";
import { keySlot } from "@faultmaven/redis";
import { RedisCluster } from "@faultmaven/test-kit";
import { sessionChannel } from "../src/redis/session-channel.js";
import { startSessionService } from "./service-harness.js";
import { untilEach, WatchStream } from "./watch-streams.js";

/**
 * WatchSession on a real 3-master Redis Cluster, over gRPC: a watched
 * session's slot moves to another master with a write in the middle of the
 * move (published where no one listened), and each stream gets a fresh
 * snapshot that covers it, then the writes after the move as events.
 */
let cluster: RedisCluster;
let svc: Awaited<ReturnType<typeof startSessionService>>;
beforeAll(async () => {
  cluster = await RedisCluster.start();
  svc = await startSessionService(cluster.env);
}, 60_000);
afterAll(async () => {
  await svc?.stop();
  await cluster?.close();
});

describe("WatchSession on Redis Cluster over gRPC", () => {
  it("gives each of 10 streams a resync snapshot at the write made while the session's slot moved, then the next write as an event", async () => {
    const { session } = await svc.client.createSession({ userId: "slot_move", clientId: "c" });
    const sessionId = session!.sessionId;
    const append = (content: string) => svc.client.appendMessage({ sessionId, message: { role: MessageRole.USER, content } });
    const watchers = Array.from({ length: 10 }, () => new WatchStream(svc.client, { sessionId }));
    await untilEach(watchers, 1, 20_000);
    await cluster.moveSlot(keySlot(sessionChannel(sessionId)), async () => {
      expect((await append("while moving")).version).toBe(2n);
    });
    await untilEach(watchers, 2, 15_000);
    for (const w of watchers) {
      const resync = w.messages[1]!;
      expect(resync.version).toBe(2n);
      expect(resync.event.case).toBe("snapshot");
      expect(resync.event.case === "snapshot" && resync.event.value.resync).toBe(true);
    }
    expect((await append("after")).version).toBe(3n);
    await untilEach(watchers, 3, 15_000);
    for (const w of watchers)
      expect(w.messages.map((m) => [Number(m.version), m.event.case])).toEqual([
        [1, "snapshot"],
        [2, "snapshot"],
        [3, "messageAppended"],
      ]);
    for (const w of watchers) w.cancel();
  }, 60_000);
});
