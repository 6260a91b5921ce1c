import type { Redis } from "ioredis";

/** Redis commands as clients sent them, each an argument list (binary-safe). */
export type RedisCommand = Buffer[];

/**
 * The commands the services sent to Redis during `calls` sequential calls,
 * seen with MONITOR: commands a script runs inside Redis and health PINGs are
 * left out, so what remains are round trips.
 */
export async function commandsSent(admin: Redis, call: () => Promise<unknown>, calls = 1): Promise<RedisCommand[]> {
  const monitor = await admin.monitor();
  const seen: RedisCommand[] = [];
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (source !== "lua" && args[0]?.toUpperCase() !== "PING") seen.push(args.map(unescapeMonitorArg));
  });
  await settle();
  for (let i = 0; i < calls; i++) await call();
  await settle();
  monitor.disconnect();
  return seen;
}

/**
 * The commands one call sends, taken when two captures in a row agree (same
 * command names and argument counts): the services' own timers (the Redis
 * clock resample, the keyspace sampler) then did not slip a command in.
 */
export async function commandsOfOneCall(admin: Redis, call: () => Promise<unknown>): Promise<RedisCommand[]> {
  const shape = (commands: RedisCommand[]) => commands.map((args) => `${args[0]}/${args.length}`).join(" ");
  let previous = await commandsSent(admin, call);
  for (let attempt = 0; attempt < 5; attempt++) {
    const next = await commandsSent(admin, call);
    if (shape(next) === shape(previous)) return next;
    previous = next;
  }
  throw new Error(`the commands of one call keep changing: ${shape(previous)}`);
}

/**
 * A call in its steady state (60 calls first: an appended session then holds
 * SESSION_MAX_MESSAGES): its reply and the commands one call sends.
 */
export async function steadyCall(admin: Redis, call: () => Promise<Buffer>): Promise<{ reply: Buffer; commands: RedisCommand[] }> {
  for (let i = 0; i < 60; i++) await call();
  const reply = await call();
  return { reply, commands: await commandsOfOneCall(admin, call) };
}

/** Average round trips per call over 20 sequential calls. */
export async function roundTripsPerCall(admin: Redis, call: () => Promise<unknown>): Promise<number> {
  return (await commandsSent(admin, call, 20)).length / 20;
}

/** MONITOR shows arguments as Redis quotes them (sdscatrepr); ioredis has already turned \" back into ". */
function unescapeMonitorArg(shown: string): Buffer {
  const bytes: number[] = [];
  const named: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8, "\\": 92, '"': 34 };
  for (let i = 0; i < shown.length; i++) {
    const c = shown[i]!;
    if (c === "\\" && shown[i + 1] === "x") {
      bytes.push(Number.parseInt(shown.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (c === "\\" && named[shown[i + 1]!] !== undefined) {
      bytes.push(named[shown[i + 1]!]!);
      i += 1;
    } else {
      bytes.push(...Buffer.from(c, "utf8"));
    }
  }
  return Buffer.from(bytes);
}

function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 50));
}
