import type { ServiceError } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { MessageRole, SessionService } from "@faultmaven/contract/session";
import { createClient } from "@faultmaven/grpc-kit";
import { metricValue, replicasOnFreshRedis, rollingRestartUnderLoad, roundRobinClient, steadyLoad, waitFor } from "@faultmaven/test-kit";
import { ENTRY } from "./service-harness.js";

describe("session-svc rolling restart of two replicas under load (real processes, one real Redis)", () => {
  const replicaSet = replicasOnFreshRedis(ENTRY);

  it("restarts each replica in turn while ~200 calls/s run through a round-robin client: 0 failed calls, both replicas serve before and after", async () => {
    const { first, start } = await replicaSet.onOwnPorts(2);
    const client = roundRobinClient(SessionService, first);
    const sessionIds = await Promise.all(
      Array.from(
        { length: 20 },
        async (_, i) => (await client.createSession({ userId: `user_${i}`, clientId: "browser" })).session!.sessionId,
      ),
    );
    const began = Date.now();
    const load = steadyLoad((n) => {
      const sessionId = sessionIds[n % sessionIds.length]!;
      return {
        GetSession: client.getSession({ sessionId }),
        AppendMessage: client.appendMessage({
          sessionId,
          message: { role: MessageRole.USER, content: `load ${n}` },
          idempotencyKey: `load-${n}`,
        }),
      };
    });
    const run = await rollingRestartUnderLoad("session-svc", first, start, load, began);
    client.close();
    expect(run.failures).toEqual([]);
    expect(run.exitCodes).toEqual([0, 0]);
    expect(run.before.every((count) => count >= 50)).toBe(true);
    expect(run.after.every((count) => count >= 50)).toBe(true);
  }, 120_000);

  it("on SIGTERM finishes the calls in flight (held 1.5 s by Redis) before exiting 0, and answers every call made after it UNAVAILABLE, never CANCELLED or INTERNAL", async () => {
    const replica = await replicaSet.start({ REDIS_COMMAND_TIMEOUT_MS: "5000" });
    // One address and no service config: nothing retries a call elsewhere, so the replica's own answers show.
    const client = createClient(SessionService, replica.address);
    const { session } = await client.createSession({ userId: "user_drain", clientId: "browser" });
    const sessionId = session!.sessionId;

    await replicaSet.redis.admin.call("CLIENT", "PAUSE", "1500", "WRITE");
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      client.appendMessage({ sessionId, message: { role: MessageRole.USER, content: `in flight ${i}` }, idempotencyKey: `drain-${i}` }),
    );
    await waitFor("20 calls in flight", async () => (await metricValue(replica.metricsPort, "grpc_server_calls_in_flight")) >= 20);
    const signalled = Date.now();
    const exited = replica.stop("SIGTERM").then((code) => ({ code, afterMs: Date.now() - signalled }));
    await waitFor("the drain started", () => replica.logs.some((line) => line.msg === "shutting down"));
    const after = await Promise.allSettled(Array.from({ length: 20 }, () => client.getSession({ sessionId })));

    const replies = await Promise.all(inFlight);
    expect(replies.filter((reply, i) => reply.message?.content === `in flight ${i}`)).toHaveLength(20);
    expect(after.map((outcome) => (outcome.status === "rejected" ? status[(outcome.reason as ServiceError).code] : "OK"))).toEqual(
      Array(20).fill("UNAVAILABLE"),
    );
    // Redis held the writes for 1.5 s from before the signal: the process waited for them.
    expect(await exited).toEqual({ code: 0, afterMs: expect.any(Number) });
    expect((await exited).afterMs).toBeGreaterThanOrEqual(500);
    client.close();
  }, 60_000);
});
