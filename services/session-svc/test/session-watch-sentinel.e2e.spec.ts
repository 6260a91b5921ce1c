import { MessageRole } from "@faultmaven/contract/session";
import { status } from "@grpc/grpc-js";
import { SentinelTopology, waitFor } from "@faultmaven/test-kit";
import { startSessionService } from "./service-harness.js";
import { untilEach, WatchStream } from "./watch-streams.js";

/**
 * WatchSession across a Sentinel failover, on a real session-svc process
 * that finds Redis through three real Sentinels: no stream is left waiting
 * on a subscription that no longer gets the session's events. Each stream
 * either ends UNAVAILABLE (the caller resumes with from_version) or, still
 * open, brings the first write after the failover.
 */
const WATCHERS = 20;

describe("WatchSession across a Sentinel failover", () => {
  for (const [how, trigger] of [
    ["the master is killed (SIGKILL)", (t: SentinelTopology) => t.killMaster()],
    ["a planned failover (SENTINEL FAILOVER) runs", (t: SentinelTopology) => t.failover()],
  ] as const) {
    it(`leaves no stream stalled when ${how}: each ends UNAVAILABLE or brings the first write after it`, async () => {
      const topology = await SentinelTopology.start();
      const svc = await startSessionService(topology.env);
      try {
        const { session } = await svc.client.createSession({ userId: "sentinel_watch", clientId: "c" });
        const sessionId = session!.sessionId;
        const watchers = Array.from({ length: WATCHERS }, () => new WatchStream(svc.client, { sessionId }));
        await untilEach(watchers, 1, 20_000);
        await trigger(topology);
        await topology.waitForPromotion();
        // The first write the promoted master takes (retried while the service follows it).
        let version = 0n;
        await waitFor(
          "a write through the promoted master",
          async () => {
            const written = await svc.client
              .appendMessage({ sessionId, message: { role: MessageRole.USER, content: "after the failover" } })
              .catch(() => undefined);
            version = written?.version ?? 0n;
            return written !== undefined;
          },
          30_000,
          200,
        );
        const settled = (w: WatchStream) => w.done || w.messages.some((m) => m.version >= version);
        await waitFor(`each of ${WATCHERS} streams ended or brought version ${version}`, async () => watchers.every(settled), 15_000);
        const ended = watchers.filter((w) => w.done);
        expect(await Promise.all(ended.map((w) => w.ended))).toEqual(ended.map(() => status.UNAVAILABLE));
        const open = watchers.filter((w) => !w.done);
        console.log(`${how}: ${ended.length} of ${WATCHERS} streams ended UNAVAILABLE, ${open.length} brought the write`);
        for (const w of watchers) w.cancel();
      } finally {
        await svc.stop();
        await topology.close();
      }
    }, 120_000);
  }
});
