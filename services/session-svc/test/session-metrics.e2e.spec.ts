import { metricIn, RedisServer, scrapeMetrics, waitFor } from "@faultmaven/test-kit";
import { failure, startSessionService } from "./service-harness.js";

/** Prometheus metrics as a scraper sees them. */
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startSessionService>>;
beforeAll(async () => {
  redis = await RedisServer.start();
  svc = await startSessionService({ ...redis.env, METRICS_KEYSPACE_INTERVAL_SECONDS: "1" });
});
afterAll(async () => {
  await svc?.stop();
  await redis?.close();
});

const scrape = () => scrapeMetrics(svc.service.metricsPort);
/** A series not exported yet (a counter never incremented) counts 0. */
const value = (text: string, name: string, labels: Record<string, string>) => metricIn(text, name, labels) ?? 0;
const SERVICE = { service: "session-svc" };

it("counts handled calls by code, times them, and gauges the keyspace per namespace", async () => {
  const calls = { ...SERVICE, grpc_service: "faultmaven.session.v1.SessionService" };
  const ok = { ...calls, grpc_method: "CreateSession", grpc_code: "OK" };
  const bad = { ...calls, grpc_method: "GetSession", grpc_code: "INVALID_ARGUMENT" };
  const before = await scrape();
  for (let i = 0; i < 3; i++) await svc.client.createSession({ userId: `metrics_${i}`, clientId: "c" });
  await failure(svc.client.getSession({ sessionId: "bad" }));
  const after = await scrape();
  const handled = (text: string, labels: Record<string, string>) => value(text, "grpc_server_handled_total", labels);
  expect(handled(after, ok) - handled(before, ok)).toBe(3);
  expect(handled(after, bad) - handled(before, bad)).toBe(1);
  const timed = { ...calls, grpc_method: "CreateSession" };
  const count = (text: string) => value(text, "grpc_server_handling_seconds_count", timed);
  expect(count(after) - count(before)).toBe(3);

  await waitFor(
    "keyspace gauges",
    async () => value(await scrape(), "redis_keys", { ...SERVICE, namespace: "client_session:" }) === 3,
    5000,
  );
  const text = await scrape();
  expect(value(text, "redis_keys", { ...SERVICE, namespace: "session:" })).toBe(6); // 3 sessions + 3 user indexes
  expect(value(text, "redis_memory_bytes", { ...SERVICE, namespace: "session:" })).toBeGreaterThan(0);
});

it("counts store outages", async () => {
  await redis.stop();
  await failure(svc.client.touchSession({ sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa" }));
  expect(value(await scrape(), "store_unavailable_errors_total", { ...SERVICE, store: "redis" })).toBeGreaterThanOrEqual(1);
  await redis.start();
});
