import { RedisServer, waitFor } from "@faultmaven/test-kit";
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

const scrape = async () => (await fetch(`http://127.0.0.1:${svc.service.metricsPort}/metrics`)).text();
const value = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(series));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
};

it("counts handled calls by code, times them, and gauges the keyspace per namespace", async () => {
  const okSeries =
    'grpc_server_handled_total{grpc_service="faultmaven.session.v1.SessionService",grpc_method="CreateSession",grpc_code="OK",service="session-svc"}';
  const badSeries =
    'grpc_server_handled_total{grpc_service="faultmaven.session.v1.SessionService",grpc_method="GetSession",grpc_code="INVALID_ARGUMENT",service="session-svc"}';
  const before = await scrape();
  for (let i = 0; i < 3; i++) await svc.client.createSession({ userId: `metrics_${i}`, clientId: "c" });
  await failure(svc.client.getSession({ sessionId: "bad" }));
  const after = await scrape();
  expect(value(after, okSeries) - value(before, okSeries)).toBe(3);
  expect(value(after, badSeries) - value(before, badSeries)).toBe(1);
  const countSeries =
    'grpc_server_handling_seconds_count{service="session-svc",grpc_service="faultmaven.session.v1.SessionService",grpc_method="CreateSession"}';
  expect(value(after, countSeries) - value(before, countSeries)).toBe(3);

  await waitFor(
    "keyspace gauges",
    async () => value(await scrape(), 'redis_keys{namespace="client_session:",service="session-svc"}') === 3,
    5000,
  );
  const text = await scrape();
  expect(value(text, 'redis_keys{namespace="session:",service="session-svc"}')).toBe(6); // 3 sessions + 3 user indexes
  expect(value(text, 'redis_memory_bytes{namespace="session:",service="session-svc"}')).toBeGreaterThan(0);
});

it("counts store outages", async () => {
  await redis.stop();
  await failure(svc.client.touchSession({ sessionId: "sess_aaaaaaaaaaaaaaaaaaaaaaaa" }));
  expect(value(await scrape(), 'store_unavailable_errors_total{store="redis",service="session-svc"}')).toBeGreaterThanOrEqual(1);
  await redis.start();
});
