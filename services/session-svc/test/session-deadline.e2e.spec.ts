import { status } from "@grpc/grpc-js";
import { type RedisServer, serviceOnFreshRedis, waitFor } from "@faultmaven/test-kit";
import { failure, startSessionService } from "./service-harness.js";

/** The caller's deadline reaches Redis: session-svc as a real process on a real redis-server that gets frozen. */
let redis: RedisServer;
let svc: Awaited<ReturnType<typeof startSessionService>>;

serviceOnFreshRedis(
  // A fixed command timeout far beyond the deadlines used here: only the caller's deadline can stop the work.
  (fresh) => startSessionService({ ...fresh.env, REDIS_COMMAND_TIMEOUT_MS: "10000" }),
  (started) => ({ redis, svc } = started),
);

/** Every command Redis runs from now on, as "NAME arg1 arg2 ...", the service's own and its scripts' apart, until `stop`. */
async function monitor() {
  const connection = await redis.admin.monitor();
  const sent: string[] = [];
  const inScripts: string[] = [];
  connection.on("monitor", (_time: string, args: string[], source: string) => (source === "lua" ? inScripts : sent).push(args.join(" ")));
  return { sent, inScripts, stop: () => connection.disconnect() };
}

describe("session-svc under the caller's deadline", () => {
  it("starts no Redis command after the deadline of a CreateSession stuck on a frozen Redis, and writes nothing when Redis resumes", async () => {
    // Warm the script cache so the first attempt would not need an EVAL fallback.
    await svc.client.createSession({ userId: "user_warm", clientId: "warm" });
    const keysBefore = await redis.admin.keys("*");
    const watch = await monitor();
    await new Promise((resolve) => setTimeout(resolve, 50));

    redis.pause();
    const started = Date.now();
    const result = await failure(svc.client.createSession({ userId: "user_late", clientId: "browser_late" }, { timeoutMs: 500 }));
    expect(result.code).toBe(status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(3000);
    // Well past the deadline, and well before REDIS_COMMAND_TIMEOUT_MS: a service that kept going would now send its next steps.
    await new Promise((resolve) => setTimeout(resolve, 500));
    redis.resume();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    watch.stop();

    // CreateSession's first round trip is the client index read and the one create-or-resume script (betting
    // on an empty index), both on the frozen server's socket before the deadline: they ran on SIGCONT, and
    // nothing was sent after them.
    const forCall = watch.sent.filter((command) => command.includes("user_late") || /^(evalsha|eval)\b/i.test(command));
    expect(forCall).toEqual([
      "get client_session:user_late:browser_late",
      expect.stringMatching(
        /^evalsha [0-9a-f]{40} 3 session:(sess_\S+) client_session:user_late:browser_late session:user_sessions:user_late /,
      ),
    ]);
    // The script ran after its not-after bound (before the deadline): it wrote nothing, so the DEADLINE_EXCEEDED is true.
    expect((await redis.admin.keys("*")).filter((key) => !keysBefore.includes(key))).toEqual([]);
    expect(watch.inScripts.filter((command) => /^(HSET|SET|ZADD|PEXPIRE)\b/.test(command))).toEqual([]);
    const line = svc.service.logs.find(
      (l) => l.msg === "rpc" && l.method === "faultmaven.session.v1.SessionService/CreateSession" && l.code === "DEADLINE_EXCEEDED",
    );
    expect(line).toMatchObject({ reason: "DEADLINE_EXCEEDED", cause: "redis EVALSHA had no reply when the call ended" });
  });

  it("logs the cause of an UNAVAILABLE in its rpc line", async () => {
    await redis.stop();
    const result = await failure(svc.client.getSession({ sessionId: "sess_0123456789abcdef0123456789abcdef" }));
    expect(result.code).toBe(status.UNAVAILABLE);
    const unavailable = () =>
      svc.service.logs.find(
        (l) => l.msg === "rpc" && l.method === "faultmaven.session.v1.SessionService/GetSession" && l.code === "UNAVAILABLE",
      );
    await waitFor("the rpc line", () => unavailable() !== undefined);
    const line = unavailable()!;
    expect(line).toMatchObject({ reason: "STORE_UNAVAILABLE", level: 40 });
    expect(line.cause).toMatch(/^redis: (Stream isn't writeable|Connection is closed|connect ECONNREFUSED)/);
  });
});
