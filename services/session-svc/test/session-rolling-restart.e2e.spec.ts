import { readFileSync } from "node:fs";
import type { ServiceError } from "@grpc/grpc-js";
import { status } from "@grpc/grpc-js";
import { MessageRole, SessionService } from "@faultmaven/contract/session";
import { createClient, type PromiseClient } from "@faultmaven/grpc-kit";
import { freePorts, RedisServer, ServiceProcess, waitFor } from "@faultmaven/test-kit";
import { ENTRY } from "./service-harness.js";

/** The service config callers are told to use (README, docs/operations.md). */
const SERVICE_CONFIG = JSON.parse(readFileSync(new URL("../../../config/grpc-service-config.json", import.meta.url), "utf8")) as object;

/** Calls a replica answered OK, from its "rpc" log lines. */
const served = (replica: ServiceProcess) => replica.logs.filter((line) => line.msg === "rpc" && line.code === "OK").length;

/**
 * Issues 2 calls every 10 ms (GetSession and AppendMessage with an
 * idempotency key, ~200 calls/s) until stopped; records every failure.
 */
function steadyLoad(client: PromiseClient<typeof SessionService.method>, sessionIds: readonly string[]) {
  const failures: { method: string; code: string; details: string }[] = [];
  const pending = new Set<Promise<unknown>>();
  let calls = 0;
  const track = (method: string, call: Promise<unknown>) => {
    calls++;
    const settled = call.then(
      () => undefined,
      (error: ServiceError) => failures.push({ method, code: status[error.code] ?? String(error.code), details: error.details }),
    );
    pending.add(settled);
    void settled.finally(() => pending.delete(settled));
  };
  const timer = setInterval(() => {
    const sessionId = sessionIds[calls % sessionIds.length]!;
    track("GetSession", client.getSession({ sessionId }));
    track(
      "AppendMessage",
      client.appendMessage({ sessionId, message: { role: MessageRole.USER, content: `load ${calls}` }, idempotencyKey: `load-${calls}` }),
    );
  }, 10);
  return {
    failures,
    get calls() {
      return calls;
    },
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
    },
  };
}

describe("session-svc rolling restart of two replicas under load (real processes, one real Redis)", () => {
  let redis: RedisServer;
  const replicas: ServiceProcess[] = [];
  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop("SIGKILL")));
    await redis?.close();
  });

  it("restarts each replica in turn while ~200 calls/s run through a round-robin client: 0 failed calls, both replicas serve before and after", async () => {
    redis = await RedisServer.start();
    const ports = await freePorts(2);
    const start = async (port: number) => {
      const replica = await ServiceProcess.start(ENTRY, { ...redis.env, GRPC_PORT: String(port), GRPC_SHUTDOWN_GRACE_MS: "10000" });
      replicas.push(replica);
      return replica;
    };
    const first = [await start(ports[0]!), await start(ports[1]!)];
    const client = createClient(
      SessionService,
      first.map((replica) => replica.address),
      { serviceConfig: SERVICE_CONFIG },
    );
    const sessionIds = await Promise.all(
      Array.from(
        { length: 20 },
        async (_, i) => (await client.createSession({ userId: `user_${i}`, clientId: "browser" })).session!.sessionId,
      ),
    );
    const began = Date.now();
    const load = steadyLoad(client, sessionIds);
    await waitFor("both replicas serving", () => first.every((replica) => served(replica) >= 50), 15_000);

    const restarted: ServiceProcess[] = [];
    const exitCodes: (number | null)[] = [];
    for (const [i, replica] of first.entries()) {
      exitCodes.push(await replica.stop("SIGTERM"));
      const again = await start(ports[i]!);
      restarted.push(again);
      await waitFor(`restarted replica ${i} serving`, () => served(again) >= 50, 30_000);
    }
    await load.stop();
    client.close();

    const perReplica = {
      before: first.map((replica) => served(replica)),
      after: restarted.map((replica) => served(replica)),
    };
    const seconds = (Date.now() - began) / 1000;
    console.log(
      `rolling restart: ${load.calls} calls in ${seconds.toFixed(1)} s (${Math.round(load.calls / seconds)}/s), ${load.failures.length} failed; ` +
        `served per replica before restart ${perReplica.before.join(" + ")}, after ${perReplica.after.join(" + ")}`,
    );
    expect(load.failures).toEqual([]);
    expect(exitCodes).toEqual([0, 0]);
    expect(perReplica.before.every((count) => count >= 50)).toBe(true);
    expect(perReplica.after.every((count) => count >= 50)).toBe(true);
  }, 120_000);

  it("on SIGTERM finishes the calls in flight (held 1.5 s by Redis) before exiting 0, and answers every call made after it UNAVAILABLE, never CANCELLED or INTERNAL", async () => {
    const replica = await ServiceProcess.start(ENTRY, { ...redis.env, REDIS_COMMAND_TIMEOUT_MS: "5000", GRPC_SHUTDOWN_GRACE_MS: "10000" });
    replicas.push(replica);
    // One address and no service config: nothing retries a call elsewhere, so the replica's own answers show.
    const client = createClient(SessionService, replica.address);
    const { session } = await client.createSession({ userId: "user_drain", clientId: "browser" });
    const sessionId = session!.sessionId;

    await redis.admin.call("CLIENT", "PAUSE", "1500", "WRITE");
    const inFlight = Array.from({ length: 20 }, (_, i) =>
      client.appendMessage({ sessionId, message: { role: MessageRole.USER, content: `in flight ${i}` }, idempotencyKey: `drain-${i}` }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalled = Date.now();
    const exited = replica.stop("SIGTERM").then((code) => ({ code, afterMs: Date.now() - signalled }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await Promise.allSettled(Array.from({ length: 20 }, () => client.getSession({ sessionId })));

    const replies = await Promise.all(inFlight);
    expect(replies.filter((reply, i) => reply.session!.messages.at(-1)?.content === `in flight ${i}`)).toHaveLength(20);
    expect(after.map((outcome) => (outcome.status === "rejected" ? status[(outcome.reason as ServiceError).code] : "OK"))).toEqual(
      Array(20).fill("UNAVAILABLE"),
    );
    // Redis held the writes 1.5 s from before the signal: the process waited for them.
    expect(await exited).toEqual({ code: 0, afterMs: expect.any(Number) });
    expect((await exited).afterMs).toBeGreaterThanOrEqual(1000);
    client.close();
  }, 60_000);
});
