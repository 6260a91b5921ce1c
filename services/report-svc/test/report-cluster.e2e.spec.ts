import { status } from "@grpc/grpc-js";
import { ChromaClient } from "chromadb";
import { Cluster } from "ioredis";
import { ReportStatus, ReportType } from "@faultmaven/contract/report";
import { ChromaServer, HttpTap, RedisCluster, waitFor } from "@faultmaven/test-kit";
import { reportKeys } from "../src/redis/keys.js";
import { failure, startReportService } from "./report-harness.js";

/**
 * report-svc as a real process on a real 3-master Redis Cluster
 * (REDIS_CLUSTER_NODES): a case's keys share one hash slot, so every write
 * is the same single script as on standalone, and the standalone guarantees
 * hold here too, observed in Redis at every instant of a race.
 */
let cluster: RedisCluster;
let chroma: ChromaServer;
let svc: Awaited<ReturnType<typeof startReportService>>;
let admin: Cluster;
const PATIENT = { CHROMA_TIMEOUT_MS: "10000", REDIS_COMMAND_TIMEOUT_MS: "5000" };

beforeAll(async () => {
  [cluster, chroma] = await Promise.all([RedisCluster.start(), ChromaServer.start()]);
  // Generous timeouts: these tests are about what Redis holds, on a machine that may be busy.
  svc = await startReportService({ ...cluster.env, ...chroma.env, ...PATIENT });
  admin = new Cluster([{ host: "127.0.0.1", port: cluster.ports[0]! }]);
  await waitFor("SERVING", () => svc.serving(), 20_000);
  // Opens the collection and loads the scripts before the races start.
  await save("cluster_warm", "warm");
}, 90_000);
afterAll(async () => {
  admin?.disconnect();
  await svc?.stop();
  await Promise.all([cluster?.close(), chroma?.close()]);
});

const TYPE = "RCA_REPORT";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function save(caseId: string, content: string, timeoutMs = 30_000) {
  return svc.client.saveReport(
    { caseId, type: ReportType.RCA_REPORT, status: ReportStatus.DRAFT, content, createdBy: "user_abc" },
    { timeoutMs },
  );
}

/** A (case, type) as Redis holds it at one instant: its versions newest first, each report's is_current flag, the pointer. */
async function snapshot(caseId: string) {
  const typeKey = reportKeys.caseType(caseId, TYPE);
  for (;;) {
    const ids = await admin.zrange(typeKey, "0", "-1");
    // One MULTI in the case's slot: the zset read again, the pointer and every flag at the same instant.
    const multi = admin.multi().zrange(typeKey, "0", "-1", "WITHSCORES").hget(reportKeys.caseCurrent(caseId), TYPE);
    for (const id of ids) multi.hget(reportKeys.metadata(id), "is_current");
    const replies = (await multi.exec())!.map(([error, reply]) => {
      if (error) throw error;
      return reply;
    });
    const withScores = replies[0] as string[];
    const again = withScores.filter((_, i) => i % 2 === 0);
    if (again.join() !== ids.join()) continue; // a save landed between the two reads: read again
    return {
      ids,
      versions: withScores.filter((_, i) => i % 2 === 1).map((score) => -Number(score)),
      pointer: replies[1] as string | null,
      flagged: ids.filter((_, i) => replies[i + 2] === "true"),
    };
  }
}

/** Watches `caseId` until `done` settles; returns every snapshot taken. */
async function observe(caseId: string, done: Promise<unknown>) {
  let finished = false;
  void done.finally(() => (finished = true));
  const seen: Awaited<ReturnType<typeof snapshot>>[] = [];
  while (!finished) {
    seen.push(await snapshot(caseId));
    await sleep(2);
  }
  seen.push(await snapshot(caseId));
  return seen;
}

/** What no instant may show: not exactly one current report (the newest, and the pointer's), or versions not unique. */
function violations(seen: Awaited<ReturnType<typeof snapshot>>[], gapless: boolean) {
  return seen.filter((s) => {
    if (s.ids.length === 0) return s.pointer !== null || s.flagged.length > 0;
    const unique = new Set(s.versions).size === s.versions.length;
    const descending = s.versions.every((v, i) => i === 0 || v < s.versions[i - 1]!);
    const full = !gapless || s.versions.every((v, i) => v === s.versions.length - i);
    const oneCurrent = s.flagged.length === 1 && s.flagged[0] === s.ids[0] && s.pointer === s.ids[0];
    return !(unique && descending && full && oneCurrent);
  });
}

it("40 concurrent saves of one (case, type): versions 1..40, and at every observed instant gapless versions and exactly one current (flag, pointer, newest)", async () => {
  const caseId = "cluster_race";
  const saves = Promise.all(Array.from({ length: 40 }, (_, i) => save(caseId, `draft ${i}`)));
  // Readers over gRPC at the same time: a page never shows two current reports, GetCurrentReports at most one.
  const readers = (async () => {
    let pages = 0;
    const bad: unknown[] = [];
    let finished = false;
    void saves.finally(() => (finished = true));
    while (!finished) {
      const [page, current] = await Promise.all([
        svc.client.listReportVersions({ caseId, type: ReportType.RCA_REPORT, pageSize: 100 }),
        svc.client.getCurrentReports({ caseId, type: ReportType.RCA_REPORT }),
      ]);
      pages++;
      await sleep(5);
      if (page.reports.length > 0 && page.reports.filter((r) => r.isCurrent).length !== 1) bad.push(page.reports);
      if (current.reports.length > 1) bad.push(current.reports);
    }
    return { pages, bad };
  })();
  const [seen, saved, read] = await Promise.all([observe(caseId, saves), saves, readers]);

  expect(saved.map((s) => s.report!.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  expect(seen.length).toBeGreaterThan(10);
  expect(violations(seen, true)).toEqual([]);
  expect(seen.at(-1)!.versions).toHaveLength(40);
  expect(read.pages).toBeGreaterThan(0);
  expect(read.bad).toEqual([]);
  console.log(`cluster race: 40 saves, ${seen.length} Redis snapshots and ${read.pages} gRPC page reads, none with a violation`);
}, 90_000);

it("saves racing deletes of the current report: at every observed instant exactly one current, the newest remaining", async () => {
  const caseId = "cluster_race_delete";
  const first = await save(caseId, "first");
  const work = (async () => {
    for (let round = 0; round < 8; round++) {
      const { reports } = await svc.client.getCurrentReports({ caseId, type: ReportType.RCA_REPORT });
      await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => save(caseId, `round ${round} save ${i}`)),
        ...reports.map((r) => svc.client.deleteReport({ reportId: r.reportId, allowMissing: true })),
      ]);
    }
  })();
  const seen = await observe(caseId, work);
  await work;
  expect(first.report!.version).toBe(1);
  expect(violations(seen, false)).toEqual([]);
  expect(seen.at(-1)!.ids.length).toBeGreaterThan(0);
}, 90_000);

it("closes and reopens a case: the closure TTL on every key of the case at once, then none", async () => {
  const caseId = "cluster_close";
  const saved = await Promise.all([save(caseId, "a"), save(caseId, "b")]);
  const keys = [
    reportKeys.caseReports(caseId),
    reportKeys.caseType(caseId, TYPE),
    reportKeys.caseCurrent(caseId),
    ...saved.map((s) => reportKeys.metadata(s.report!.reportId)),
  ];
  // One slot for the whole case: the same node holds every key.
  expect(new Set(await Promise.all(keys.map((key) => admin.cluster("KEYSLOT", key))))).toHaveProperty("size", 1);
  await svc.client.closeCase({ caseId });
  for (const key of [...keys, reportKeys.caseClosed(caseId)]) expect(await admin.ttl(key)).toBeGreaterThan(90 * 86_400 - 60);
  const late = await save(caseId, "after the closure");
  expect(await admin.ttl(reportKeys.metadata(late.report!.reportId))).toBeGreaterThan(90 * 86_400 - 60);
  await svc.client.reopenCase({ caseId });
  for (const key of [...keys, reportKeys.metadata(late.report!.reportId)]) expect(await admin.ttl(key)).toBe(-1);
  expect(await admin.exists(reportKeys.caseClosed(caseId))).toBe(0);
  const got = await svc.client.getReport({ reportId: late.report!.reportId, includeContent: true });
  expect(got.report!.content).toBe("after the closure");
  expect((await svc.client.deleteCaseReports({ caseId })).deletedCount).toBe(3);
}, 60_000);

it("a service SIGKILLed mid-save (content written, commit not sent) leaves no half-written save: concurrent saves stay gapless with one current, and reconciliation removes the dead save's content", async () => {
  const caseId = "cluster_crash";
  await save(caseId, "before the crash");
  let victim: Awaited<ReturnType<typeof startReportService>> | undefined;
  const isCrashWrite = (body: string) => body.includes("crash me");
  // The victim reaches Chroma through a tap that SIGKILLs it once Chroma has taken the content, before it answers.
  const tap = await HttpTap.start({ host: "127.0.0.1", port: chroma.port }, async (exchange) => {
    if (exchange.method === "POST" && exchange.path.endsWith("/upsert") && isCrashWrite(exchange.body)) {
      await victim!.service.stop("SIGKILL");
    }
  });
  try {
    victim = await startReportService({ ...cluster.env, ...PATIENT, CHROMA_URL: tap.url, REPORT_SAVE_WINDOW_MS: "4000" });
    await waitFor("victim SERVING", () => victim!.serving(), 20_000);
    await victim.client.saveReport({ caseId: "cluster_warm", type: ReportType.RUNBOOK, content: "warm", createdBy: "u" });
    const calls = Array.from({ length: 12 }, (_, i) =>
      victim!.client.saveReport(
        { caseId, type: ReportType.RCA_REPORT, content: i === 6 ? "crash me" : `concurrent ${i}`, createdBy: "u" },
        { timeoutMs: 10_000 },
      ),
    );
    const outcomes = await Promise.allSettled(calls);
    expect(await victim.service.waitForExit()).toBeNull(); // killed by a signal
    const answered = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value.report!.reportId] : []));
    const crashWrites = tap.exchanges.filter((e) => isCrashWrite(e.body));
    expect(crashWrites.map((e) => e.status)).toEqual([200]);
    const [deadId] = (JSON.parse(crashWrites[0]!.body) as { ids: string[] }).ids;

    // Redis: the dead save is an intent only, never a report; the case is gapless with exactly one current.
    expect(await admin.hexists(reportKeys.metadata(deadId!), "save_intent")).toBe(1);
    expect(await admin.hexists(reportKeys.metadata(deadId!), "report_id")).toBe(0);
    const after = await snapshot(caseId);
    expect(violations([after], true)).toEqual([]);
    expect(after.ids).not.toContain(deadId);
    for (const id of answered) expect(after.ids).toContain(id);
    expect((await failure(svc.client.getReport({ reportId: deadId! }))).code).toBe(status.NOT_FOUND);

    // Chroma: every report of the case has content; the dead save's content is there until reconciliation.
    const collection = await new ChromaClient({ host: "127.0.0.1", port: chroma.port }).getCollection({
      name: "faultmaven_case_reports",
      embeddingFunction: null as never,
    });
    const contentOfCase = async () => (await collection.get({ where: { case_id: caseId } })).ids.sort();
    expect(await contentOfCase()).toEqual(expect.arrayContaining([...after.ids, deadId]));

    // A replacement process reconciles at start (and every second): once the intents have passed, exactly the
    // content without a report goes, the dead save's included, and its intent with it.
    await sleep(4500);
    const replacement = await startReportService({ ...cluster.env, ...chroma.env, ...PATIENT, REPORT_RECONCILE_INTERVAL_SECONDS: "1" });
    try {
      const kept = [...after.ids].sort().join();
      // Content first, then the intent (reconciliation's order).
      const reconciled = async () => (await contentOfCase()).join() === kept && (await admin.exists(reportKeys.metadata(deadId!))) === 0;
      await waitFor("the dead saves' content and intents reconciled away", reconciled, 20_000);
    } finally {
      await replacement.stop();
    }
    console.log(
      `cluster crash: ${answered.length} of 12 concurrent saves answered before the SIGKILL; ${after.ids.length} reports visible, ` +
        `versions 1..${after.versions[0]}, one current`,
    );
  } finally {
    await victim?.stop();
    await tap.close();
  }
}, 90_000);
