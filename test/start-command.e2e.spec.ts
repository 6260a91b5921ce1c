import { bufCurl, freePorts, occupyPorts, RedisServer } from "@faultmaven/test-kit";
import { portIsFree } from "../scripts/start/busy-ports.js";
import { SUITE } from "../scripts/start/plan.js";
import { PnpmStart } from "./pnpm-start.js";

/** Every port `pnpm start` uses by default: held during these tests, as a running `pnpm start` would hold them. */
const DEFAULT_PORTS = [8000, ...SUITE.flatMap((s) => [s.grpcPort, s.metricsPort])];

let defaults: Awaited<ReturnType<typeof occupyPorts>>;
beforeAll(async () => {
  defaults = await occupyPorts(DEFAULT_PORTS);
});
afterAll(() => defaults?.release());

it("the default ports are all busy while these tests run", async () => {
  const free = await Promise.all(DEFAULT_PORTS.map((port) => portIsFree("0.0.0.0", port)));
  expect(DEFAULT_PORTS.filter((_, i) => free[i])).toEqual([]);
});

/**
 * The README's start command, run as a newcomer runs it (`pnpm start`), on
 * free ports given through the per-service variables while the default
 * ports are taken, with its embedded ChromaDB and a test Redis: it prints a
 * ready line, all three services answer through reflection on the ports
 * asked for, each with its own metrics port, and Ctrl-C stops it with 0.
 */
it("pnpm start honours the per-service port variables, answers on every service and stops on Ctrl-C", async () => {
  const redis = await RedisServer.start();
  const [chroma, session, auth, report, ...metrics] = await freePorts(7);
  const start = new PnpmStart({
    ...redis.env,
    CHROMA_PORT: String(chroma),
    CHROMA_URL: "",
    SESSION_GRPC_PORT: String(session),
    AUTH_GRPC_PORT: String(auth),
    REPORT_GRPC_PORT: String(report),
    SESSION_METRICS_PORT: String(metrics[0]),
    AUTH_METRICS_PORT: String(metrics[1]),
    REPORT_METRICS_PORT: String(metrics[2]),
  });
  try {
    expect(await start.ready()).toBe(
      `ready: session-svc 127.0.0.1:${session}, auth-svc 127.0.0.1:${auth}, report-svc 127.0.0.1:${report} (Ctrl-C stops)`,
    );
    expect(start.text).toContain(`[chromadb] embedded, listening on http://127.0.0.1:${chroma}`);
    for (const [name, port] of SUITE.map((s, i) => [s.name, metrics[i]] as const)) {
      expect(start.text).toContain(`[${name}] listening on`);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain(`service="${name}"`);
    }

    const created = await bufCurl(`127.0.0.1:${session}`, "/faultmaven.session.v1.SessionService/CreateSession", {
      user_id: "newcomer",
      client_id: "laptop",
    });
    expect(JSON.parse(created.stdout)).toMatchObject({ session: { userId: "newcomer" } });
    const user = await bufCurl(`127.0.0.1:${auth}`, "/faultmaven.auth.v1.AuthService/CreateUser", {
      username: "newcomer",
      email: "new@example.com",
      password: "a long passphrase",
    });
    expect(JSON.parse(user.stdout)).toMatchObject({ user: { username: "newcomer" } });
    const saved = await bufCurl(`127.0.0.1:${report}`, "/faultmaven.report.v1.ReportService/SaveReport", {
      case_id: "case_1",
      type: "REPORT_TYPE_RUNBOOK",
      content: "Restart the ingest workers.",
      created_by: "user_def456",
    });
    expect(JSON.parse(saved.stdout)).toMatchObject({ report: { version: 1, isCurrent: true } });
  } finally {
    expect(await start.interrupt()).toBe(0);
    await redis.close();
  }
  expect(start.text).toContain("[report-svc] stopped");
}, 120_000);

it("pnpm start names each busy port and the variable that moves it, and exits 1 without starting anything", async () => {
  const [chroma, auth] = await freePorts(2);
  const taken = await occupyPorts([chroma!, auth!]);
  try {
    const start = new PnpmStart({ CHROMA_URL: "", CHROMA_PORT: String(chroma), AUTH_GRPC_PORT: String(auth) });
    expect(await start.exited).toBe(1);
    expect(start.text).toContain(`port ${chroma} (ChromaDB) is already in use (set CHROMA_PORT)`);
    expect(start.text).toContain(`port ${auth} (auth-svc gRPC) is already in use (set AUTH_GRPC_PORT)`);
    expect(start.text).not.toContain("[chromadb]");
  } finally {
    await taken.release();
  }
}, 60_000);

it("pnpm start refuses one GRPC_PORT for three services and names the per-service variables", async () => {
  const start = new PnpmStart({ GRPC_PORT: "50051", CHROMA_URL: "http://127.0.0.1:1" });
  expect(await start.exited).toBe(1);
  expect(start.text).toContain("GRPC_PORT");
  expect(start.text).toContain("set SESSION_GRPC_PORT, AUTH_GRPC_PORT and REPORT_GRPC_PORT instead (or GRPC_PORT=0 for free ports)");
}, 60_000);
