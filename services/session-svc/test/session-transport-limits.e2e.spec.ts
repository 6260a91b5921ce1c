import { connect } from "node:http2";
import { status } from "@grpc/grpc-js";
import { metricIn, RedisServer, scrapeMetrics, ServiceProcess, StalledStreams, waitFor } from "@faultmaven/test-kit";
import { ENTRY, startSessionService } from "./service-harness.js";

const MIB = 1024 * 1024;
const GET_SESSION = "/faultmaven.session.v1.SessionService/GetSession";

/** Small limits, so the test is short and the documented bound is tight. */
const LIMITS = {
  GRPC_MAX_CONNECTIONS: 50,
  GRPC_MAX_IN_FLIGHT_CALLS: 1000,
  GRPC_MAX_RECEIVING_BYTES: 16 * MIB,
  GRPC_REQUEST_RECEIVE_TIMEOUT_MS: 4000,
};

/** docs/operations.md, "Transport limits": what callers can add to the process's RSS, whatever they send. */
const MEMORY_BOUND =
  LIMITS.GRPC_MAX_CONNECTIONS * 32 * 1024 + LIMITS.GRPC_MAX_IN_FLIGHT_CALLS * 32 * 1024 + 2 * LIMITS.GRPC_MAX_RECEIVING_BYTES + 80 * MIB;

let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startSessionService>>;
let attacks: StalledStreams[] = [];
beforeAll(async () => {
  redis = await RedisServer.start();
  svc = await startSessionService({ ...redis.env, ...Object.fromEntries(Object.entries(LIMITS).map(([k, v]) => [k, String(v)])) });
});
afterAll(async () => {
  for (const attack of attacks) attack.destroy();
  await svc?.stop();
  await redis?.close();
});

const scrape = () => scrapeMetrics(svc.service.metricsPort);
const limitHits = (text: string, limit: string) => metricIn(text, "grpc_server_transport_limit_hits_total", { limit });

it("closes 5,000 stalled streams and 100 large unfinished bodies by its limits, within the documented memory bound, while normal calls succeed", async () => {
  const { session } = await svc.client.createSession({ userId: "u_limits", clientId: "c" });
  for (let i = 0; i < 50; i++) await svc.client.getSession({ sessionId: session!.sessionId }); // warm-up
  const idleRss = svc.service.rssBytes();
  let peakRss = idleRss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, svc.service.rssBytes())), 25);

  attacks = await Promise.all([
    StalledStreams.open(svc.service.address, { path: GET_SESSION, declaredBytes: 100, sentBytes: 10 }, 5000, 10),
    // Just under session-svc's 1 MiB receive limit: 100 of them would hold ~94 MiB without the byte cap.
    StalledStreams.open(svc.service.address, { path: GET_SESSION, declaredBytes: MIB - 1024, sentBytes: MIB - 64 * 1024 }, 100, 4),
    StalledStreams.open(svc.service.address, { path: GET_SESSION, declaredBytes: 3_900_000, sentBytes: 64 * 1024 }, 100, 1),
  ]);
  const [small, large, oversize] = attacks as [StalledStreams, StalledStreams, StalledStreams];
  const meanwhile = [];
  for (let i = 0; i < 20; i++) meanwhile.push((await svc.client.getSession({ sessionId: session!.sessionId })).session?.sessionId);
  const stillStalled = small.open;

  try {
    await waitFor("every stalled stream to be closed", () => attacks.every((a) => a.open === 0), 30_000);
  } finally {
    clearInterval(sampler);
    for (const attack of attacks) attack.destroy();
  }

  expect(meanwhile).toEqual(Array(20).fill(session!.sessionId));
  expect(stillStalled).toBeGreaterThan(0);
  const endedByLimits = new Set([status.DEADLINE_EXCEEDED, status.RESOURCE_EXHAUSTED]);
  for (const attack of [small, large]) {
    expect(attack.outcomes.filter((o) => endedByLimits.has(o.grpcStatus!) && o.rstCode === 0)).toHaveLength(attack.outcomes.length);
  }
  expect(small.outcomes).toHaveLength(5000);
  expect(large.outcomes).toHaveLength(100);
  expect(oversize.outcomes).toEqual(Array(100).fill({ grpcStatus: status.RESOURCE_EXHAUSTED, rstCode: 0 }));
  expect(peakRss - idleRss).toBeLessThan(MEMORY_BOUND);

  const text = await scrape();
  expect(metricIn(text, "grpc_server_calls_in_flight")).toBe(0);
  expect(limitHits(text, "request_receive_timeout")).toBeGreaterThan(0);
  expect(limitHits(text, "in_flight_calls")).toBeGreaterThan(0);
}, 60_000);

it("keeps at most GRPC_MAX_CONNECTIONS connections: past it the idlest are closed, and a caller still gets in", async () => {
  // Only the test's own client channel is left from the first test.
  await waitFor("the earlier connections to be gone", async () => metricIn(await scrape(), "grpc_server_connections") === 1);
  const sessions = Array.from({ length: 60 }, () => connect(`http://${svc.service.address}`).on("error", () => {}));
  try {
    // 61 connections, 50 kept: the client channel (idle since the first test) and 10 of the new ones are closed.
    await waitFor("the idlest connections to be closed", () => sessions.filter((s) => s.closed || s.destroyed).length === 10, 10_000);
    const text = await scrape();
    expect(metricIn(text, "grpc_server_connections")).toBe(50);
    expect(limitHits(text, "connections")).toBe(11);

    const { session } = await svc.client.createSession({ userId: "u_after_flood", clientId: "c" });
    expect(session?.userId).toBe("u_after_flood");
  } finally {
    for (const s of sessions) s.destroy();
  }
});

describe("connection lifetime", () => {
  let short: Awaited<ReturnType<typeof startSessionService>>;
  beforeAll(async () => {
    short = await startSessionService({
      ...redis.env,
      GRPC_MAX_CONNECTION_IDLE_MS: "500",
      GRPC_MAX_CONNECTION_AGE_MS: "1500",
      GRPC_MAX_CONNECTION_AGE_GRACE_MS: "500",
      GRPC_REQUEST_RECEIVE_TIMEOUT_MS: "60000",
    });
  });
  afterAll(() => short?.stop());

  /** A raw HTTP/2 connection, with when it got GOAWAY and when it closed. */
  function watchedConnection() {
    const started = Date.now();
    const events: { goawayAfterMs?: number; closedAfterMs?: number } = {};
    const session = connect(`http://${short.service.address}`).on("error", () => {});
    session.on("goaway", () => (events.goawayAfterMs ??= Date.now() - started));
    session.on("close", () => (events.closedAfterMs = Date.now() - started));
    return { session, events };
  }

  it("closes a connection that has had no call for GRPC_MAX_CONNECTION_IDLE_MS, with GOAWAY", async () => {
    const { events } = watchedConnection();
    await waitFor("the idle connection to be closed", () => events.closedAfterMs !== undefined, 5000);
    expect(events.goawayAfterMs).toBeGreaterThanOrEqual(400);
    expect(events.closedAfterMs).toBeLessThan(1400);
  });

  it("sends GOAWAY at GRPC_MAX_CONNECTION_AGE_MS and closes the connection after the grace, ending a call still open on it", async () => {
    const { session, events } = watchedConnection();
    const stream = session.request({ ":method": "POST", ":path": GET_SESSION, "content-type": "application/grpc", te: "trailers" });
    stream.on("error", () => {});
    stream.write(Buffer.from([0, 0, 0, 0, 100, 0x0a]));
    await waitFor("the connection to be closed", () => events.closedAfterMs !== undefined, 5000);
    // grpc-js spreads connection ages by a random +/-10% (1350-1650 ms here), then the 500 ms grace.
    expect(events.goawayAfterMs).toBeGreaterThanOrEqual(1350);
    expect(events.closedAfterMs).toBeGreaterThanOrEqual(events.goawayAfterMs! + 450);
    expect(stream.closed).toBe(true);
  });
});

it("refuses to start when GRPC_MAX_RECEIVING_BYTES is below the receive limit, naming it", async () => {
  const { code, output } = await ServiceProcess.runToExit(ENTRY, { ...redis.env, GRPC_MAX_RECEIVING_BYTES: "65536" });
  expect(code).toBe(1);
  expect(output).toContain("GRPC_MAX_RECEIVING_BYTES");
});
