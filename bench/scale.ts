import type { GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import { EnvReader } from "@faultmaven/config";
import { MessageRole, SessionService } from "@faultmaven/contract/session";
import type { Redis } from "ioredis";
import { h2load } from "./h2load.js";
import { type HotCall, hotCall } from "./hot-call.js";
import { RawCaller } from "./raw-call.js";
import { SessionCopies } from "./session-copies.js";
import type { ServiceUnderTest } from "./service-under-test.js";
import { type Figures, LOAD, pooled } from "./side-by-side.js";

const env = new EnvReader();
/** The part's name, for BENCH_ONLY ("Scale" runs it alone); BENCH_SCALE=0 skips it. */
export const SCALE_PART = "Scale check";
export const SCALE = {
  enabled: env.boolean("BENCH_SCALE", true),
  small: env.integer("BENCH_SCALE_SMALL", 10_000, 1, 10_000_000),
  large: env.integer("BENCH_SCALE_LARGE", 1_000_000, 1, 10_000_000),
};

const pad = (value: string | number, width: number) => String(value).padStart(width);
const fixed = (value: number, digits = 2) => value.toFixed(digits);

/**
 * Scale check: GetSession and AppendMessage of real sessions under h2load
 * (LOAD) with SCALE.small, then SCALE.large live sessions in Redis. The
 * filler is copies of one real session made through the service (see
 * SessionCopies), so it has whatever layout the service writes.
 */
export async function scaleCheck(admin: Redis, sessions: ServiceUnderTest<typeof SessionService.method>): Promise<void> {
  const seed = { userId: "scale_seed_user", clientId: "scale_seed_client" };
  const { session } = await sessions.client.createSession(seed);
  const sessionId = session!.sessionId;
  for (const [i, content] of ["the disk is full", "which disk?", "/var on db-3"].entries())
    await sessions.client.appendMessage({ sessionId, message: { role: i % 2 ? MessageRole.ASSISTANT : MessageRole.USER, content } });
  const copies = await SessionCopies.of(admin, { sessionId, ...seed });

  const { session: chat } = await sessions.client.createSession({ userId: "scale_chat_user", clientId: "scale_chat" });
  const calls = [
    hotCall(SessionService.method.getSession, { sessionId }),
    hotCall(SessionService.method.appendMessage, {
      sessionId: chat!.sessionId,
      message: { role: MessageRole.USER, content: "the disk is full again" },
    }),
  ];
  // Steady state (the appended session holds SESSION_MAX_MESSAGES) with the very bytes h2load sends.
  const caller = new RawCaller(sessions.port);
  for (const call of calls) for (let i = 0; i < 60; i++) await caller.call(call.path, call.request);
  caller.close();

  console.log(
    `\n${SCALE_PART}: the same calls with ${SCALE.small.toLocaleString("en")} and then ${SCALE.large.toLocaleString("en")} live sessions in Redis; ` +
      `h2load ${LOAD.connections} x ${LOAD.streams} streams, ${LOAD.rounds} x ${LOAD.seconds} s per call and size.`,
  );
  console.log(
    `Filler: copies of one real session (3 messages) made by DUMP and RESTORE (with TTL, Lua in chunks) of its keys: ${copies.templates.join(", ")}`,
  );
  console.log(
    "CPU µs = the service's CPU time per call; Redis µs = Redis's time per command (INFO commandstats, SCAN apart): both steadier than p99 " +
      "on a shared box; SCAN ms = Redis time in SCAN meanwhile (the keyspace gauges' pass, every METRICS_KEYSPACE_INTERVAL_SECONDS; SCAN only up to 100k keys)",
  );
  console.log(
    `${"sessions".padStart(10)} ${"call".padEnd(28)} ${pad("req/s", 7)} ${pad("p50 ms", 7)} ${pad("p99 ms", 7)} ${pad("CPU µs", 6)} ${pad("Redis µs", 8)} ${pad("SCAN ms", 7)} ${pad("non-OK", 6)} | ${pad("fill s", 6)} ${pad("keys", 9)} ${pad("used MB", 7)}`,
  );
  const p99s = new Map<string, number[]>();
  for (const size of [SCALE.small, SCALE.large]) {
    const began = performance.now();
    await copies.fillTo(size);
    const fillSeconds = (performance.now() - began) / 1000;
    const keys = await admin.dbsize();
    const usedMb = Number(/used_memory:(\d+)/.exec(await admin.info("memory"))?.[1]) / 2 ** 20;
    for (const call of calls) {
      const redisBefore = await commandTime(admin);
      const { figures, notOk } = await measure(sessions, call);
      const redisAfter = await commandTime(admin);
      const redisMicros = (redisAfter.usec - redisBefore.usec) / (redisAfter.calls - redisBefore.calls);
      const scanMs = (redisAfter.scanUsec - redisBefore.scanUsec) / 1000;
      p99s.set(call.name, [...(p99s.get(call.name) ?? []), figures.p99]);
      console.log(
        `${pad(size.toLocaleString("en"), 10)} ${call.name.padEnd(28)} ${pad(Math.round(figures.perSecond), 7)} ${pad(fixed(figures.p50), 7)} ${pad(fixed(figures.p99), 7)} ${pad(Math.round(figures.cpuMicrosPerCall), 6)} ${pad(fixed(redisMicros, 1), 8)} ${pad(Math.round(scanMs), 7)} ${pad(notOk + figures.failed, 6)} | ${pad(fixed(fillSeconds, 1), 6)} ${pad(keys, 9)} ${pad(Math.round(usedMb), 7)}`,
      );
    }
  }
  for (const [name, [small, large]] of p99s)
    console.log(
      `  ${name}: p99 at ${SCALE.large.toLocaleString("en")} / p99 at ${SCALE.small.toLocaleString("en")} = ${fixed(large! / small!)} (the goal: at most 1.3)`,
    );
}

/** h2load rounds of one call against the service; calls it ended with a code other than OK or CANCELLED (h2load stopping) count as not OK. */
async function measure(svc: ServiceUnderTest<GenServiceMethods>, call: HotCall): Promise<{ figures: Figures; notOk: number }> {
  const before = await svc.handled(call.method.name);
  const runs = Array.from({ length: LOAD.rounds }, () =>
    h2load({ port: svc.port, pid: svc.pid, path: call.path, request: call.request }, LOAD),
  );
  const after = await svc.handled(call.method.name);
  let notOk = 0;
  for (const [code, count] of after) if (code !== "OK" && code !== "CANCELLED") notOk += count - (before.get(code) ?? 0);
  return { figures: pooled(runs), notOk };
}

/**
 * Commands Redis ran so far and the µs it spent in them (INFO commandstats, INFO itself left out), with SCAN
 * apart: the services' keyspace gauges (NamespaceSampler) walk the whole keyspace with it in the background.
 */
async function commandTime(admin: Redis): Promise<{ calls: number; usec: number; scans: number; scanUsec: number }> {
  const time = { calls: 0, usec: 0, scans: 0, scanUsec: 0 };
  for (const [, command, n, micros] of (await admin.info("commandstats")).matchAll(/^cmdstat_([\w|]+):calls=(\d+),usec=(\d+)/gm)) {
    if (command === "info") continue;
    if (command === "scan") {
      time.scans += Number(n);
      time.scanUsec += Number(micros);
    } else {
      time.calls += Number(n);
      time.usec += Number(micros);
    }
  }
  return time;
}
