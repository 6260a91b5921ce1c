/**
 * `pnpm bench`: latency and throughput of the services' hot calls over real
 * gRPC against a real redis-server (all started here on free ports), and how
 * many Redis round trips each call costs (commands clients sent, seen with
 * MONITOR on a separate sample; commands run inside a script are not round
 * trips). Bounded in count and time; loopback only.
 */
import { AuthService } from "@faultmaven/contract/auth";
import { ReportService, ReportType } from "@faultmaven/contract/report";
import { MessageRole, SessionService } from "@faultmaven/contract/session";
import { ChromaServer, RedisServer, startGrpcService } from "@faultmaven/test-kit";
import { measure, printHeader } from "./measure.js";
import { EnvReader } from "@faultmaven/config";

const [redis, chroma] = await Promise.all([RedisServer.start(), ChromaServer.start()]);
const env = { ...redis.env, ...chroma.env, LOG_LEVEL: new EnvReader().string("LOG_LEVEL") ?? "info" };
const [sessions, auth, reportSvc] = await Promise.all([
  startGrpcService("services/session-svc/src/main.ts", SessionService, env),
  startGrpcService("services/auth-svc/src/main.ts", AuthService, env),
  startGrpcService("services/report-svc/src/main.ts", ReportService, env),
]);

try {
  printHeader();
  const session = sessions.client;
  const { session: created } = await session.createSession({ userId: "bench_user", clientId: "bench_client" });
  const sessionId = created!.sessionId;
  let n = 0;
  await measure(redis, "session GetSession", () => session.getSession({ sessionId }));
  await measure(redis, "session TouchSession", () => session.touchSession({ sessionId }));
  await measure(redis, "session AppendMessage", () =>
    session.appendMessage({ sessionId, message: { role: MessageRole.USER, content: `message ${n++}` } }),
  );
  await measure(redis, "session UpdateSession", () => session.updateSession({ session: { sessionId }, setContext: { step: String(n++) } }));
  await measure(redis, "session CreateSession resume", () => session.createSession({ userId: "bench_user", clientId: "bench_client" }));
  await measure(redis, "session CreateSession new", () => session.createSession({ userId: "bench_user", clientId: `client_${n++}` }));

  const password = "benchmark password";
  const { user } = await auth.client.createUser({ username: "bench", email: "bench@example.com", password, roles: ["engineer"] });
  const { token } = await auth.client.login({ identifier: { case: "username", value: "bench" }, password });
  await measure(redis, "auth ValidateToken", () => auth.client.validateToken({ token }));
  await measure(redis, "auth GetUser", () => auth.client.getUser({ userId: user!.userId }));
  // argon2id (m=19 MiB, t=2) dominates these: fewer calls.
  await measure(redis, "auth Login", () => auth.client.login({ identifier: { case: "username", value: "bench" }, password }), 200);

  const reports = reportSvc.client;
  const { report } = await reports.saveReport({
    caseId: "bench_case",
    type: ReportType.RCA_REPORT,
    content: "Root cause: WAL archiving stalled and the disk filled.",
    createdBy: "bench",
  });
  const reportId = report!.reportId;
  await measure(redis, "report GetReport (metadata)", () => reports.getReport({ reportId }));
  await measure(redis, "report GetReport (+content)", () => reports.getReport({ reportId, includeContent: true }), 500);
  await measure(
    redis,
    "report SaveReport",
    () =>
      reports.saveReport({
        caseId: "bench_case",
        type: ReportType.RUNBOOK,
        content: `step ${n++}: restart the workers`,
        createdBy: "bench",
      }),
    500,
  );
  await measure(redis, "report SearchReports", () => reports.searchReports({ query: "disk full WAL", limit: 5 }), 500);
} finally {
  await Promise.all([sessions.stop(), auth.stop(), reportSvc.stop()]);
  await Promise.all([redis.close(), chroma.close()]);
}
