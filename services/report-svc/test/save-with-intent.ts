import type { NewReport, ReportRecord } from "../src/domain/report.js";
import type { ReportStore } from "../src/domain/report-store.js";

/** A save as Reports makes it, less the content: the intent first, then the commit. */
export async function saveWithIntent(store: ReportStore, report: NewReport, windowMs = 10_000): Promise<ReportRecord> {
  await store.recordIntent(report, windowMs);
  return store.save(report);
}
