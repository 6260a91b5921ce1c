import { MessageRole, SessionService } from "@faultmaven/contract/session";
import { createClient } from "@faultmaven/grpc-kit";
import { concurrentCallers, replicasOnFreshRedis, roundRobinClient, type ServiceProcess, servedCalls, waitFor } from "@faultmaven/test-kit";
import { ENTRY } from "./service-harness.js";

describe("session-svc: two replicas on one Redis serving one client (real processes, round robin)", () => {
  const replicaSet = replicasOnFreshRedis(ENTRY);

  it("spreads 48 concurrent callers over both replicas; a SIGTERM to one mid-load fails no call, it exits 0, the other answers the rest, and every append lands once", async () => {
    const replicas = [await replicaSet.start(), await replicaSet.start()];
    const [stopped, survivor] = replicas as [ServiceProcess, ServiceProcess];
    const client = roundRobinClient(SessionService, replicas);
    const sessionIds = await Promise.all(
      Array.from(
        { length: 16 },
        async (_, i) => (await client.createSession({ userId: `user_${i}`, clientId: "browser" })).session!.sessionId,
      ),
    );
    const appended = new Map<string, number>();
    const load = concurrentCallers(48, (n) => {
      const sessionId = sessionIds[n % sessionIds.length]!;
      if (n % 2 === 0) return { method: "GetSession", done: client.getSession({ sessionId }) };
      // The client fills an idempotency key, so a retried append is applied once.
      const done = client.appendMessage({ sessionId, message: { role: MessageRole.USER, content: `call ${n}` } });
      return { method: "AppendMessage", done: done.then(() => appended.set(sessionId, (appended.get(sessionId) ?? 0) + 1)) };
    });

    await waitFor("both replicas answered 300 calls", () => servedCalls(stopped) >= 300 && servedCalls(survivor) >= 300, 30_000);
    const beforeStop = replicas.map(servedCalls);
    const exitCode = await stopped.stop("SIGTERM");
    const survivorAtExit = servedCalls(survivor);
    const succeededAtExit = load.succeeded;
    await waitFor("500 more calls after the exit", () => load.succeeded >= succeededAtExit + 500, 30_000);
    await load.stop();
    client.close();

    expect(load.failures).toEqual([]);
    expect(exitCode).toBe(0);
    expect(beforeStop.every((count) => count >= 300)).toBe(true);
    expect(servedCalls(survivor) - survivorAtExit).toBeGreaterThanOrEqual(500);
    // message_count counts every append ever applied: each acknowledged append was applied exactly once.
    const reader = createClient(SessionService, survivor.address);
    const counts = await Promise.all(
      sessionIds.map(async (sessionId) => Number((await reader.getSession({ sessionId })).session!.messageCount)),
    );
    reader.close();
    expect(counts).toEqual(sessionIds.map((sessionId) => appended.get(sessionId) ?? 0));
    console.log(
      `two replicas: ${load.started} calls by 48 callers, ${load.failures.length} failed; answered OK before the SIGTERM: ${beforeStop.join(" + ")}; ` +
        `by the survivor after the exit: ${servedCalls(survivor) - survivorAtExit}`,
    );
  }, 120_000);
});
