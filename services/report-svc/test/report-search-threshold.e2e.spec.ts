import { ReportType } from "@faultmaven/contract/report";
import { reportServiceOnFreshStores, type startReportService } from "./report-harness.js";

/** SearchReports never returns a report that has nothing in common with the query, unless asked to. */
let svc: Awaited<ReturnType<typeof startReportService>>;

reportServiceOnFreshStores({ CHROMA_TIMEOUT_MS: "10000" }, (started) => ({ svc } = started));

describe("SearchReports' score threshold", () => {
  it("leaves out a report with similarity 0 by default, returns it with min_score -1, and takes a limit above the maximum (50) without error", async () => {
    const { report } = await svc.client.saveReport({
      caseId: "case_threshold",
      type: ReportType.RUNBOOK,
      content: "Restart the ingest workers after the WAL archive stalls.",
      createdBy: "user_abc",
    });
    const unrelated = await svc.client.searchReports({ query: "zebra" });
    expect(unrelated.results).toEqual([]);

    const everything = await svc.client.searchReports({ query: "zebra", minScore: -1 });
    expect(everything.results.map((r) => r.report!.reportId)).toEqual([report!.reportId]);
    expect(everything.results[0]!.score).toBeLessThanOrEqual(0);

    const related = await svc.client.searchReports({ query: "ingest workers stalled", limit: 1000 });
    expect(related.results.map((r) => r.report!.reportId)).toEqual([report!.reportId]);
    expect(related.results[0]!.score).toBeGreaterThan(0);
  });
});
