import { fileURLToPath } from "node:url";
import { AuthService } from "@faultmaven/contract/auth";
import { MessageRole, SessionService } from "@faultmaven/contract/session";
import { SentinelTopology, startGrpcService, waitFor } from "@faultmaven/test-kit";
import { type CallRecord, SteadyLoad } from "./steady-load.js";

const SESSION_MAIN = fileURLToPath(new URL("../services/session-svc/src/main.ts", import.meta.url));
const AUTH_MAIN = fileURLToPath(new URL("../services/auth-svc/src/main.ts", import.meta.url));

/** The bound this test holds recovery to (from the failover's start to the last error); docs/operations.md quotes the measured figures. */
const RECOVERY_BOUND_MS = 15_000;
const SESSIONS = 10;
const CALL_TIMEOUT_MS = 2000;

interface Write {
  readonly seq: number;
  acknowledgedAt?: number;
}

/**
 * Issue 10, item 3: session-svc and auth-svc as real processes find Redis
 * through three real Sentinels; under steady load (about 120 calls/s of
 * AppendMessage with idempotency keys, GetSession, ValidateToken and
 * CreateUser) the master fails and Sentinel promotes the replica. Prints
 * the figures docs/operations.md ("Sentinel failover") quotes.
 */
describe("Sentinel failover under load", () => {
  it("master killed (SIGKILL): only UNAVAILABLE answers until the services follow the promoted replica, within the bound", async () => {
    const outcome = await failoverUnderLoad("kill", (topology) => topology.killMaster());
    expect(outcome.failedCalls).toBeGreaterThan(0); // the kill was felt
    expect(outcome.errorCodes).toEqual(["UNAVAILABLE"]);
    expect(outcome.figures.startToFirstSuccessMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(outcome.figures.startToLastErrorMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(outcome.followedWithoutRestart).toBe(true);
    expect(outcome.duplicates).toBe(0);
  }, 120_000);

  it("planned failover (SENTINEL FAILOVER, the old master stays up as a replica): only UNAVAILABLE answers, writes go to the new master", async () => {
    const outcome = await failoverUnderLoad("planned", (topology) => topology.failover());
    // The services drop the old master on +switch-master: only writes it acknowledged between the
    // promotion and that message can be lost (docs/operations.md), none acknowledged a second later.
    expect(outcome.lostWritesAcknowledgedAfterSwitch).toBe(0);
    expect(outcome.errorCodes.filter((code) => code !== "UNAVAILABLE")).toEqual([]);
    expect(outcome.figures.startToLastErrorMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(outcome.followedWithoutRestart).toBe(true);
    expect(outcome.duplicates).toBe(0);
    // Nothing acknowledged before the failover started is lost when the old master hands over.
    expect(outcome.figures.appendsSurvived).toBe(outcome.figures.appendsAcknowledgedBeforeFailover);
    expect(outcome.figures.usersSurvived).toBe(outcome.figures.usersAcknowledgedBeforeFailover);
  }, 120_000);

  it("planned failover with min-replicas-to-write 1 on the master: the old master refuses writes once its replica leaves, none acknowledged after the promotion is lost", async () => {
    const outcome = await failoverUnderLoad("planned, min-replicas-to-write 1", async (topology) => {
      await topology.master.admin.config("SET", "min-replicas-to-write", "1");
      await topology.failover();
    });
    expect(outcome.errorCodes.filter((code) => code !== "UNAVAILABLE")).toEqual([]);
    expect(outcome.figures.startToLastErrorMs).toBeLessThan(RECOVERY_BOUND_MS);
    expect(outcome.figures.appendsSurvived).toBe(outcome.figures.appendsAcknowledgedBeforeFailover);
    // Without min-replicas-to-write the old master takes writes until +switch-master, about 1 s more. With it, it
    // refuses them (NOREPLICAS) once its replica left; only a write the replica had not yet received when it was
    // promoted can be lost, as after a crash (replication is asynchronous; seen once: one user).
    expect(outcome.lostWritesAcknowledgedAfterPromotion).toBe(0);
    expect(outcome.duplicates).toBe(0);
  }, 120_000);
});

/**
 * Starts the topology and both services, runs 3 s of load, starts the
 * failover with `trigger`, keeps the load on until 5 s pass without an
 * error, then retries every failed write with its idempotency key and
 * counts what survived.
 */
async function failoverUnderLoad(label: string, trigger: (topology: SentinelTopology) => Promise<void>) {
  const topology = await SentinelTopology.start();
  const env = { ...topology.env, METRICS_KEYSPACE_INTERVAL_SECONDS: "86400" };
  const session = await startGrpcService(SESSION_MAIN, SessionService, { ...env, SESSION_MAX_MESSAGES: "1000" });
  const auth = await startGrpcService(AUTH_MAIN, AuthService, env);
  try {
    const sessionIds = await Promise.all(
      Array.from(
        { length: SESSIONS },
        async (_, i) => (await session.client.createSession({ userId: `u${i}`, clientId: "load" })).session!.sessionId,
      ),
    );
    const password = "a failover password";
    await auth.client.createUser({ username: "steady", email: "steady@example.com", password });
    const { token } = await auth.client.login({ identifier: { case: "username", value: "steady" }, password });

    const options = { timeoutMs: CALL_TIMEOUT_MS };
    const appends: Write[] = [];
    const users: Write[] = [];
    const sessionOf = (seq: number) => sessionIds[seq % SESSIONS]!;
    const append = (seq: number, callOptions = options) =>
      session.client.appendMessage(
        { sessionId: sessionOf(seq), message: { role: MessageRole.USER, content: `m-${seq}` }, idempotencyKey: `append-${seq}` },
        callOptions,
      );
    const createUser = (seq: number, callOptions = options) =>
      auth.client.createUser(
        { username: `load_${seq}`, email: `load_${seq}@example.com`, password, idempotencyKey: `user-${seq}` },
        callOptions,
      );
    const tracked = (kind: string, writes: Write[], call: (seq: number) => Promise<unknown>) => ({
      kind,
      async run() {
        const write: Write = { seq: writes.length };
        writes.push(write);
        await call(write.seq);
        write.acknowledgedAt = Date.now();
      },
    });
    const appendCall = tracked("AppendMessage", appends, (seq) => append(seq));
    const createUserCall = tracked("CreateUser", users, (seq) => createUser(seq));
    const validateCall = { kind: "ValidateToken", run: () => auth.client.validateToken({ token }, options).then(() => {}) };
    const getCall = {
      kind: "GetSession",
      run: () => session.client.getSession({ sessionId: sessionIds[Math.floor(Math.random() * SESSIONS)]! }, options).then(() => {}),
    };
    // About 120 calls/s: one every 8 ms, one in 12 a CreateUser (password hashing is CPU-heavy).
    const mix = [
      appendCall,
      validateCall,
      getCall,
      appendCall,
      validateCall,
      getCall,
      appendCall,
      validateCall,
      getCall,
      appendCall,
      getCall,
    ];
    const load = new SteadyLoad([...mix, createUserCall], 8);
    load.start();
    await new Promise((resolve) => setTimeout(resolve, 3000));

    const startedAt = Date.now();
    await trigger(topology);
    await topology.waitForPromotion();
    const promotedAt = Date.now();
    await waitFor(
      "5 s of calls without an error",
      () => Date.now() - Math.max(startedAt, ...load.records.filter((r) => r.error).map((r) => r.endedAt)) > 5000,
      RECOVERY_BOUND_MS + 15_000,
      100,
    );
    await load.stop();

    const failed = load.records.filter((r) => r.error);
    const succeededAfter = load.records.filter((r) => r.startedAt >= startedAt && !r.error);

    // The old master, when alive, must be a replica of the new one before anything is counted.
    if (topology.master.running) {
      await waitFor(
        "the old master to replicate the new one",
        async () => {
          const info = await topology.master.admin.info("replication");
          return (
            info.includes("role:slave") && info.includes(`master_port:${topology.replica.port}`) && info.includes("master_link_status:up")
          );
        },
        30_000,
        100,
      );
    }
    const demotedAt = topology.master.running ? Date.now() : undefined;
    // Writes that failed are retried with the same key now that a master answers: each resolves, once.
    for (const write of appends.filter((w) => w.acknowledgedAt === undefined)) await append(write.seq, { timeoutMs: 5000 });
    for (const write of users.filter((w) => w.acknowledgedAt === undefined)) await createUser(write.seq, { timeoutMs: 5000 });
    const stored = new Map<string, string[]>();
    for (const sessionId of sessionIds) {
      stored.set(
        sessionId,
        (await session.client.getSession({ sessionId })).session!.messages.map((m) => m.content),
      );
    }
    const ackedBefore = (writes: Write[]) => writes.filter((w) => w.acknowledgedAt !== undefined && w.acknowledgedAt < startedAt);
    const ackedAfter = (writes: Write[]) => writes.filter((w) => w.acknowledgedAt !== undefined && w.acknowledgedAt >= startedAt);
    const appendStored = (w: Write) => stored.get(sessionOf(w.seq))!.includes(`m-${w.seq}`);
    const userStored = (w: Write) =>
      auth.client.lookupUser({ key: { case: "username", value: `load_${w.seq}` } }).then(
        () => true,
        () => false,
      );
    const usersFoundBefore = await Promise.all(ackedBefore(users).map(userStored));
    const usersFoundAfter = await Promise.all(ackedAfter(users).map(userStored));
    const lostUsers = ackedAfter(users).filter((_, i) => !usersFoundAfter[i]);
    const lostAfterStart = [...ackedAfter(appends).filter((w) => !appendStored(w)), ...lostUsers];
    const lostWritesAcknowledgedAfterSwitch = lostAfterStart.filter((w) => w.acknowledgedAt! > promotedAt + 1000).length;
    // promotedAt is when the test saw the promotion (polled), so it is never before the promotion itself.
    const lostWritesAcknowledgedAfterPromotion = lostAfterStart.filter((w) => w.acknowledgedAt! > promotedAt).length;

    const figures = {
      callsTotal: load.records.length,
      ratePerSecond: Math.round(
        load.records.length / ((Math.max(...load.records.map((r) => r.endedAt)) - load.records[0]!.startedAt) / 1000),
      ),
      promotionMs: promotedAt - startedAt,
      startToFirstSuccessMs: Math.min(...succeededAfter.map((r) => r.endedAt)) - startedAt,
      startToLastErrorMs: Math.max(startedAt, ...failed.map((r) => r.endedAt)) - startedAt,
      errors: countBy(failed, (r) => `${r.error!.code}/${r.error!.reason}`),
      errorsByCall: countBy(failed, (r) => r.kind),
      appendsAcknowledgedBeforeFailover: ackedBefore(appends).length,
      appendsSurvived: ackedBefore(appends).filter(appendStored).length,
      usersAcknowledgedBeforeFailover: ackedBefore(users).length,
      usersSurvived: usersFoundBefore.filter(Boolean).length,
      appendsLostAfterStart: ackedAfter(appends).filter((w) => !appendStored(w)).length,
      usersLostAfterStart: usersFoundAfter.filter((found) => !found).length,
      oldMasterDemotedMs: demotedAt === undefined ? null : demotedAt - startedAt,
      failedWritesRetriedWithKey:
        appends.filter((w) => w.acknowledgedAt === undefined).length + users.filter((w) => w.acknowledgedAt === undefined).length,
    };
    console.log(`Sentinel failover (${label}) figures: ${JSON.stringify(figures, null, 2)}`);

    const duplicates = [...stored.values()].reduce((sum, contents) => sum + contents.length - new Set(contents).size, 0);
    // The same processes answer (no restart), and what they wrote is on the promoted replica.
    const followedWithoutRestart =
      session.service.exitCode === undefined &&
      auth.service.exitCode === undefined &&
      (await topology.replica.admin.exists(`session:${sessionIds[0]}`)) === 1 &&
      (await topology.replica.admin.exists("auth:username:steady")) === 1;
    return {
      figures,
      failedCalls: failed.length,
      errorCodes: Object.keys(countBy(failed, (r) => r.error!.code)),
      duplicates,
      followedWithoutRestart,
      lostWritesAcknowledgedAfterSwitch,
      lostWritesAcknowledgedAfterPromotion,
    };
  } finally {
    await session.stop();
    await auth.stop();
    await topology.close();
  }
}

function countBy(records: readonly CallRecord[], key: (record: CallRecord) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) counts[key(record)] = (counts[key(record)] ?? 0) + 1;
  return counts;
}
