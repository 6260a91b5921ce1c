/**
 * `pnpm bench:ladder`: what the per-call features every production gRPC
 * service carries cost by themselves, above the baseline (a bare grpc-js
 * server sending the call's Redis commands): ladder-server.ts at each level
 * of LADDER_LEVELS, then the real session-svc, loaded in turn with the same
 * GetSession and AppendMessage requests, LOAD.rounds times each.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MessageRole, SessionService } from "@faultmaven/contract/session";
import { RedisServer } from "@faultmaven/test-kit";
import { startReplayServer } from "./baseline.js";
import { ensureH2load, h2load, type LoadFigures } from "./h2load.js";
import { type HotCall, hotCall } from "./hot-call.js";
import { LADDER_LEVELS } from "./ladder-levels.js";
import { RawCaller } from "./raw-call.js";
import { steadyCall } from "./redis-commands.js";
import { buildServices, startService } from "./service-under-test.js";
import { LOAD, pooled, type Server } from "./side-by-side.js";

ensureH2load();
buildServices("session-svc");
const redis = await RedisServer.start();
const sessions = await startService("session-svc", SessionService, { ...redis.env, LOG_LEVEL: "info" });
const dir = mkdtempSync(join(tmpdir(), "fm-ladder-"));
const stops: (() => void)[] = [() => sessions.stop()];
try {
  const { session: main } = await sessions.client.createSession({ userId: "bench_user", clientId: "bench_client" });
  const { session: chat } = await sessions.client.createSession({ userId: "bench_user", clientId: "bench_chat" });
  const calls = [
    hotCall(SessionService.method.getSession, { sessionId: main!.sessionId }),
    hotCall(SessionService.method.appendMessage, {
      sessionId: chat!.sessionId,
      message: { role: MessageRole.USER, content: "the disk is full again" },
    }),
  ];
  // Steady state first, then each call's commands and reply, with the very request bytes h2load sends.
  const caller = new RawCaller(sessions.port);
  const methods = [];
  const replies = new Map<string, Buffer>();
  for (const hot of calls) {
    const { reply, commands } = await steadyCall(redis.admin, () => caller.call(hot.path, hot.request));
    replies.set(hot.path, reply);
    methods.push({ path: hot.path, commands: commands.map((a) => a.map((b) => b.toString("base64"))), reply: reply.toString("base64") });
  }
  caller.close();

  const servers: (Server & { name: string })[] = [];
  for (const [level, name] of LADDER_LEVELS.entries()) {
    const rung = await startReplayServer("bench/ladder-server.ts", redis.port, methods, [String(level), join(dir, `level-${level}.log`)]);
    stops.push(rung.stop);
    const server = { name: `${level} ${name}`, port: rung.port, pid: rung.pid };
    await answersAsTheService(server, calls, replies);
    servers.push(server);
  }
  servers.push({ name: "session-svc", port: sessions.port, pid: sessions.pid });

  console.log(
    `Feature ladder: h2load ${LOAD.connections} x ${LOAD.streams} streams, ${LOAD.rounds} x ${LOAD.seconds} s per server, in turn;`,
  );
  console.log("x = ratio to level 0, the bare baseline; CPU µs = the server's CPU time per call (/proc, warm-up included)");
  for (const hot of calls) {
    const runs = new Map<string, LoadFigures[]>(servers.map((s) => [s.name, []]));
    for (let round = 0; round < LOAD.rounds; round++) {
      for (const server of servers) runs.get(server.name)!.push(h2load({ ...server, path: hot.path, request: hot.request }, LOAD));
    }
    const base = pooled(runs.get(servers[0]!.name)!);
    const pad = (value: string | number, width: number) => String(value).padStart(width);
    console.log(
      `\n${hot.name.padEnd(26)} ${pad("req/s", 7)} ${pad("x", 5)} ${pad("p99 ms", 7)} ${pad("x", 5)} ${pad("CPU µs", 7)} ${pad("x", 5)}`,
    );
    for (const server of servers) {
      const f = pooled(runs.get(server.name)!);
      const ratio = (a: number, b: number) => pad((a / b).toFixed(2), 5);
      console.log(
        `${server.name.padEnd(26)} ${pad(Math.round(f.perSecond), 7)} ${ratio(f.perSecond, base.perSecond)} ${pad(f.p99.toFixed(1), 7)} ${ratio(f.p99, base.p99)} ${pad(Math.round(f.cpuMicrosPerCall), 7)} ${ratio(f.cpuMicrosPerCall, base.cpuMicrosPerCall)}`,
      );
    }
  }
} finally {
  for (const stop of stops) stop();
  await redis.close();
  rmSync(dir, { recursive: true, force: true });
}

/** Each rung must answer every call with the service's very reply bytes, or it would measure other work. */
async function answersAsTheService(server: Server & { name: string }, calls: HotCall[], replies: Map<string, Buffer>): Promise<void> {
  const caller = new RawCaller(server.port);
  try {
    for (const hot of calls) {
      const answer = await caller.call(hot.path, hot.request);
      if (!answer.equals(replies.get(hot.path)!)) throw new Error(`ladder level "${server.name}" answered ${hot.name} with other bytes`);
    }
  } finally {
    caller.close();
  }
}
