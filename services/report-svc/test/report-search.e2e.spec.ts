import { ReportStatus, ReportType } from "@faultmaven/contract/report";
import { ChromaServer, RedisServer } from "@faultmaven/test-kit";
import { CORPUS, QUERIES } from "./fixtures/search-corpus.js";
import { startReportService } from "./report-harness.js";

/** Similarity search with the offline default embedding, over a labelled set. */
let redis: RedisServer;
let chroma: ChromaServer;
let svc: Awaited<ReturnType<typeof startReportService>>;
const idsByKey = new Map<string, string>();

const TYPES = {
  INCIDENT_REPORT: ReportType.INCIDENT_REPORT,
  RCA_REPORT: ReportType.RCA_REPORT,
  RUNBOOK: ReportType.RUNBOOK,
  POST_MORTEM: ReportType.POST_MORTEM,
};

beforeAll(async () => {
  [redis, chroma] = await Promise.all([RedisServer.start(), ChromaServer.start()]);
  svc = await startReportService({ ...redis.env, ...chroma.env });
  for (const [i, doc] of CORPUS.entries()) {
    const { report } = await svc.client.saveReport({
      caseId: `case_${i % 8}`,
      type: TYPES[doc.type],
      status: ReportStatus.FINAL,
      content: doc.content,
      createdBy: "search_test",
    });
    idsByKey.set(doc.key, report!.reportId);
  }
}, 60_000);
afterAll(async () => {
  await svc?.stop();
  await Promise.all([redis?.close(), chroma?.close()]);
});

describe("SearchReports", () => {
  it(`finds the expected report in the top 3 for each of ${QUERIES.length} queries (recall@3)`, async () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(30);
    let hits = 0;
    const misses: string[] = [];
    for (const { query, expected } of QUERIES) {
      const { results } = await svc.client.searchReports({ query, limit: 3 });
      const top = results.map((r) => r.report!.reportId);
      if (top.includes(idsByKey.get(expected)!)) hits++;
      else misses.push(`${query} -> expected ${expected}`);
    }
    const recall = hits / QUERIES.length;
    console.log(
      `search recall@3 = ${hits}/${QUERIES.length} = ${recall.toFixed(2)} (offline hashing embedding)${misses.length ? `\nmisses:\n${misses.join("\n")}` : ""}`,
    );
    expect(misses).toEqual([]);
  });

  it("filters by case and type, ranks by score and returns snippets", async () => {
    const target = CORPUS.findIndex((d) => d.key === "kafka-runbook");
    const { results } = await svc.client.searchReports({
      query: "kafka consumer lag",
      caseId: `case_${target % 8}`,
      type: ReportType.RUNBOOK,
      limit: 5,
    });
    expect(results.length).toBeGreaterThan(0);
    for (const r of results) expect(r.report).toMatchObject({ caseId: `case_${target % 8}`, type: ReportType.RUNBOOK });
    expect(results[0]!.report!.reportId).toBe(idsByKey.get("kafka-runbook"));
    expect(results[0]!.snippet).toContain("Kafka consumer lag");
    const scores = results.map((r) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });
});
