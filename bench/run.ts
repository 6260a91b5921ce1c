/**
 * `pnpm bench`: the services' hot calls under h2load (64 streams on
 * loopback), each side by side with its baseline, a bare grpc-js server that
 * sends Redis the same commands and answers with a reply of the same bytes;
 * Redis round trips per call (MONITOR); ValidateToken alone and under a
 * flood of 50 concurrent Logins; then Redis memory per record; last the
 * GetSession through one replica vs two (bench/replicas.ts, BENCH_ONLY=Replicas alone) and the
 * scale check (bench/scale.ts: GetSession and AppendMessage at 10k and 1M
 * live sessions; BENCH_SCALE=0 skips it, BENCH_ONLY=Scale runs it alone). All
 * processes (redis-server, ChromaDB, the services, the baseline) are started
 * here on free ports; under six minutes with the defaults.
 */
import type { GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { AuthService } from "@faultmaven/contract/auth";
import { ReportService, ReportType } from "@faultmaven/contract/report";
import { MessageRole, SessionService } from "@faultmaven/contract/session";
import { EnvReader } from "@faultmaven/config";
import { ChromaServer, RedisServer } from "@faultmaven/test-kit";
import { startBaseline } from "./baseline.js";
import { ensureH2load } from "./h2load.js";
import { type HotCall, hotCall } from "./hot-call.js";
import { FLOOD, loginFlood } from "./login-flood.js";
import { bytesPerRecord, RECORDS } from "./memory-per-record.js";
import { roundTripsPerCall, steadyCall } from "./redis-commands.js";
import { RawCaller } from "./raw-call.js";
import { REPLICAS_PART, twoReplicas } from "./replicas.js";
import { SCALE, SCALE_PART, scaleCheck } from "./scale.js";
import { LOAD, sideBySide } from "./side-by-side.js";
import { buildServices, startService, type ServiceUnderTest } from "./service-under-test.js";

ensureH2load();
buildServices("session-svc", "auth-svc", "report-svc");
const [redis, chroma] = await Promise.all([RedisServer.start(), ChromaServer.start()]);
const env = { ...redis.env, ...chroma.env, LOG_LEVEL: new EnvReader().string("LOG_LEVEL") ?? "info" };
const [sessions, auth, reports] = await Promise.all([
  startService("session-svc", SessionService, env),
  startService("auth-svc", AuthService, env),
  startService("report-svc", ReportService, env),
]);

const pad = (value: string | number, width: number) => String(value).padStart(width);
const fixed = (value: number, digits = 2) => value.toFixed(digits);
// e.g. "GetSession": the hot calls whose name contains it; "Scale": the scale check alone; "Replicas": the two replicas alone
const only = new EnvReader().string("BENCH_ONLY");
const onePart = only !== undefined && [SCALE_PART, REPLICAS_PART].some((part) => part.includes(only));

try {
  const password = "benchmark password";
  if (!onePart) {
    console.log(`Redis memory per record: MEMORY USAGE ... SAMPLES 0 summed over all keys, growth for ${RECORDS} records / ${RECORDS}`);
    console.log("(one user's sessions and one case's reports, so their index keys are amortized; one token per user)");
    const memory: [string, number][] = [];
    memory.push([
      "user",
      await bytesPerRecord(redis.admin, (i) =>
        auth.client.createUser({ username: `mem_user_${i}`, email: `mem${i}@example.com`, password, roles: ["engineer"] }),
      ),
    ]);
    memory.push([
      "token (one per user)",
      await bytesPerRecord(redis.admin, (i) => auth.client.login({ identifier: { case: "username", value: `mem_user_${i}` }, password })),
    ]);
    memory.push([
      "session as created",
      await bytesPerRecord(redis.admin, (i) => sessions.client.createSession({ userId: "mem_user", clientId: `mem_client_${i}` })),
    ]);
    memory.push([
      "session + 20 x 200-char messages",
      await bytesPerRecord(redis.admin, async (i) => {
        const { session } = await sessions.client.createSession({ userId: "mem_chat_user", clientId: `mem_chat_${i}` });
        for (let m = 0; m < 20; m++) {
          const content = `${m} `.padEnd(200, "lorem ipsum dolor sit amet ");
          await sessions.client.appendMessage({ sessionId: session!.sessionId, message: { role: MessageRole.USER, content } });
        }
      }),
    ]);
    memory.push([
      "report metadata",
      await bytesPerRecord(redis.admin, (i) =>
        reports.client.saveReport({
          caseId: "mem_case",
          type: ReportType.RCA_REPORT,
          content: `Root cause ${i}: the disk filled.`,
          createdBy: "bench",
        }),
      ),
    ]);
    for (const [record, bytes] of memory) console.log(`  ${record.padEnd(34)} ${pad(bytes, 7)} B`);
  }

  const { session: main } = await sessions.client.createSession({ userId: "bench_user", clientId: "bench_client" });
  const { session: chat } = await sessions.client.createSession({ userId: "bench_user", clientId: "bench_chat" });
  await auth.client.createUser({ username: "bench", email: "bench@example.com", password, roles: ["engineer"] });
  const { token, user } = await auth.client.login({ identifier: { case: "username", value: "bench" }, password });
  const { report } = await reports.client.saveReport({
    caseId: "bench_case",
    type: ReportType.RCA_REPORT,
    content: "Root cause: WAL archiving stalled.",
    createdBy: "bench",
  });
  const sessionId = main!.sessionId;
  const session = SessionService.method;
  const hotCalls: [ServiceUnderTest<GenServiceMethods>, HotCall][] = [
    [sessions, hotCall(session.updateSession, { session: { sessionId }, setContext: { step: "diagnose" } })],
    [sessions, hotCall(session.touchSession, { sessionId })],
    [sessions, hotCall(session.getSession, { sessionId })],
    [
      sessions,
      hotCall(session.appendMessage, {
        sessionId: chat!.sessionId,
        message: { role: MessageRole.USER, content: "the disk is full again" },
      }),
    ],
    [sessions, hotCall(session.findSessionByClient, { userId: "bench_user", clientId: "bench_client" })],
    [auth, hotCall(AuthService.method.validateToken, { token })],
    [auth, hotCall(AuthService.method.getUser, { userId: user!.userId })],
    [reports, hotCall(ReportService.method.getReport, { reportId: report!.reportId })],
    [reports, hotCall(ReportService.method.getCurrentReports, { caseId: "bench_case" })],
  ] as [ServiceUnderTest<GenServiceMethods>, HotCall][];
  const selected = hotCalls.filter(([, hot]) => only === undefined || hot.name.includes(only));

  // Steady state first (an appended session holds SESSION_MAX_MESSAGES), then what each call sends and answers,
  // all with the very request bytes h2load sends.
  const prepared = [];
  for (const [svc, hot] of selected) {
    const caller = new RawCaller(svc.port);
    const call = () => caller.call(hot.path, hot.request);
    const { reply, commands } = await steadyCall(redis.admin, call);
    const roundTrips = await roundTripsPerCall(redis.admin, call);
    caller.close();
    prepared.push({ svc, hot, reply, commands, roundTrips, baselineRoundTrips: Number.NaN });
  }
  if (prepared.length > 0) {
    const baseline = await startBaseline(
      redis.port,
      prepared.map(({ hot, commands, reply }) => ({
        path: hot.path,
        commands: commands.map((args) => args.map((arg) => arg.toString("base64"))),
        reply: reply.toString("base64"),
      })),
    );
    try {
      const caller = new RawCaller(baseline.port);
      for (const entry of prepared) {
        const answer = await caller.call(entry.hot.path, entry.hot.request);
        if (answer.length !== entry.reply.length)
          throw new Error(`baseline ${entry.hot.path} replied ${answer.length} bytes, not ${entry.reply.length}`);
        entry.baselineRoundTrips = await roundTripsPerCall(redis.admin, () => caller.call(entry.hot.path, entry.hot.request));
      }
      caller.close();
      console.log(
        `\nHot calls: h2load ${LOAD.connections} connections x ${LOAD.streams} streams, ${LOAD.rounds} x ${LOAD.seconds} s per side (real, baseline alternating);`,
      );
      console.log(
        "baseline = bare grpc-js server sending the same Redis commands, replying with the same bytes; loopback, one redis-server;",
      );
      console.log("CPU µs = the server process's CPU time per call (/proc, warm-up included): steadier than req/s on a shared box");
      console.log(
        `${"call".padEnd(34)} ${pad("req/s", 7)} ${pad("p50 ms", 7)} ${pad("p99 ms", 7)} | ${pad("base/s", 7)} ${pad("p50 ms", 7)} ${pad("p99 ms", 7)} | ${pad("x req/s", 7)} ${pad("x p99", 6)} | ${pad("CPU µs", 6)} ${pad("base", 5)} ${pad("x CPU", 5)} | ${pad("redis RT", 8)} ${pad("base RT", 7)} ${pad("reply B", 7)} ${pad("non-OK", 6)} ${pad("stopped", 7)}`,
      );
      for (const { svc, hot, reply, roundTrips, baselineRoundTrips } of prepared) {
        const before = await svc.handled(hot.method.name);
        const { real, baseline: base } = sideBySide(hot.path, hot.request, { real: svc, baseline });
        const after = await svc.handled(hot.method.name);
        const notOk = [...after].filter(([code]) => code !== "OK").map(([code, count]) => [code, count - (before.get(code) ?? 0)] as const);
        // h2load stops with up to 64 calls in flight: the service ends those CANCELLED. Not failures: a column apart.
        const cancelled = notOk.find(([code]) => code === "CANCELLED")?.[1] ?? 0;
        const failures =
          notOk.filter(([code]) => code !== "CANCELLED").reduce((sum, [, count]) => sum + count, 0) + real.failed + base.failed;
        console.log(
          `${hot.name.padEnd(34)} ${pad(Math.round(real.perSecond), 7)} ${pad(fixed(real.p50), 7)} ${pad(fixed(real.p99), 7)} | ${pad(Math.round(base.perSecond), 7)} ${pad(fixed(base.p50), 7)} ${pad(fixed(base.p99), 7)} | ${pad(fixed(real.perSecond / base.perSecond), 7)} ${pad(fixed(real.p99 / base.p99), 6)} | ${pad(Math.round(real.cpuMicrosPerCall), 6)} ${pad(Math.round(base.cpuMicrosPerCall), 5)} ${pad(fixed(real.cpuMicrosPerCall / base.cpuMicrosPerCall, 1), 5)} | ${pad(fixed(roundTrips), 8)} ${pad(fixed(baselineRoundTrips), 7)} ${pad(reply.length, 7)} ${pad(failures, 6)} ${pad(cancelled, 7)}`,
        );
        if (failures > 0) {
          const codes = notOk.filter(([code, count]) => code !== "CANCELLED" && count > 0).map(([code, count]) => `${code} ${count}`);
          console.log(
            `  ^ not OK (CANCELLED: in flight when h2load stopped): ${[...codes, `h2load-failed real ${real.failed} baseline ${base.failed}`].join(", ")}`,
          );
        }
      }
    } finally {
      baseline.stop();
    }
  }

  const validate = hotCall(AuthService.method.validateToken, { token });
  const floodName = `${validate.name} under a Login flood`;
  if (only === undefined || floodName.includes(only)) {
    const flood = await loginFlood(auth, validate, `127.0.0.1:${auth.port}`);
    console.log(
      `\n${floodName}: ${FLOOD.logins} Logins in flight (each its own user, argon2 each time) vs none; ValidateToken from h2load ` +
        `${FLOOD.connections} x ${FLOOD.streams} streams, ${LOAD.rounds} x ${LOAD.seconds} s per side (alone, flooded alternating)`,
    );
    const row = (label: string, f: typeof flood.alone) =>
      `  ${label.padEnd(10)} ${pad(Math.round(f.perSecond), 7)} req/s  p50 ${pad(fixed(f.p50), 7)} ms  p99 ${pad(fixed(f.p99), 7)} ms  h2load-failed ${f.failed}`;
    console.log(row("alone", flood.alone));
    console.log(row("flooded", flood.flooded));
    const logins = [...flood.logins].filter(([, count]) => count > 0).map(([code, count]) => `${code} ${count}`);
    console.log(
      `  p99 flooded / alone: ${fixed(flood.flooded.p99 / flood.alone.p99)} (the goal: at most 2); Logins during the flood: ${logins.join(", ")} ` +
        `(~${Math.round([...flood.logins.values()].reduce((a, b) => a + b, 0) / flood.seconds)}/s)`,
    );
  }
  if (only === undefined || REPLICAS_PART.includes(only)) await twoReplicas(sessions, env);
  if (SCALE.enabled && (only === undefined || SCALE_PART.includes(only))) await scaleCheck(redis.admin, sessions);
} finally {
  for (const svc of [sessions, auth, reports]) svc.stop();
  await Promise.all([redis.close(), chroma.close()]);
}
