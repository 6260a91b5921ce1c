import { saveWithIntent } from "./save-with-intent.js";
import { runInCallScope } from "@faultmaven/call-scope";
import { InvalidArgumentError, UnavailableError } from "@faultmaven/errors";
import { ReportLimitError } from "../src/domain/errors.js";
import { MAX_VERSIONS_PER_TYPE, type ReportType } from "../src/domain/report.js";
import { newCaseReportId } from "../src/redis/keys.js";
import type { ReportStore } from "../src/domain/report-store.js";

export type ReportStoreFactory = () => Promise<ReportStore>;

let counter = 0;
const uniqueCase = () => `case_${process.pid}_${++counter}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `work` as a call carrying idempotency key `name` (with the request's fingerprint). */
function keyed<T>(name: string, work: () => Promise<T>, fingerprint = "f".repeat(64)): Promise<T> {
  const scope = { deadline: undefined, signal: new AbortController().signal, idempotency: { name, fingerprint, windowMs: 60_000 } };
  return runInCallScope(scope, work);
}

/** The behaviour every ReportStore must have: Redis and memory alike. */
export function reportStoreContract(name: string, makeStore: ReportStoreFactory): void {
  describe(`${name}: ReportStore contract`, () => {
    let store: ReportStore;
    beforeAll(async () => {
      store = await makeStore();
    });
    afterAll(async () => {
      await store.close();
    });

    const save = (caseId: string, type: ReportType = "RCA_REPORT") =>
      saveWithIntent(store, { reportId: newCaseReportId(caseId), caseId, type, status: "final", title: "t", createdBy: "user_1" });

    it("numbers versions per (case, type) and keeps exactly one current", async () => {
      const caseId = uniqueCase();
      const v1 = await save(caseId);
      const v2 = await save(caseId);
      const runbook = await save(caseId, "RUNBOOK");
      expect([v1.version, v2.version, runbook.version]).toEqual([1, 2, 1]);
      expect(v2).toMatchObject({
        isCurrent: true,
        caseId,
        type: "RCA_REPORT",
        contentLocation: `chromadb://faultmaven_case_reports/${v2.reportId}`,
      });
      expect((await store.get(v1.reportId))?.isCurrent).toBe(false);
      expect((await store.current(caseId)).map((r) => r.reportId)).toEqual([v2.reportId, runbook.reportId]);
      expect((await store.current(caseId, "RUNBOOK")).map((r) => r.reportId)).toEqual([runbook.reportId]);
    });

    it(`refuses a save beyond ${MAX_VERSIONS_PER_TYPE} reports of one type in a case, naming the limit, until one is deleted`, async () => {
      const caseId = uniqueCase();
      // In batches, so the saves contend only a little: the point is the limit.
      for (let saved = 0; saved < MAX_VERSIONS_PER_TYPE - 5; saved += 25) {
        await Promise.all(Array.from({ length: Math.min(25, MAX_VERSIONS_PER_TYPE - 5 - saved) }, () => save(caseId)));
      }
      // The last 5 places, raced for by 20 saves.
      const last = await Promise.all(Array.from({ length: 20 }, () => save(caseId).catch((e: unknown) => e)));
      const refused = last.filter((r) => r instanceof ReportLimitError);
      expect([last.length - refused.length, refused.length]).toEqual([5, 15]);
      expect(new Set(refused.map((e) => (e as ReportLimitError).limit))).toEqual(new Set(["report.versions_per_type"]));
      const kept = (await store.listVersions(caseId, "RCA_REPORT", 0, MAX_VERSIONS_PER_TYPE + 10)).reports;
      expect(kept).toHaveLength(MAX_VERSIONS_PER_TYPE);
      expect(kept.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: MAX_VERSIONS_PER_TYPE }, (_, i) => i + 1));
      // Other types of the same case are not held up.
      expect((await save(caseId, "RUNBOOK")).version).toBe(1);
      await store.delete(kept.find((r) => r.version === 1)!.reportId);
      expect((await save(caseId)).version).toBe(MAX_VERSIONS_PER_TYPE + 1);
    });

    it("gives 20 concurrent saves versions 1..20, each once, and one current", async () => {
      const caseId = uniqueCase();
      const saved = await Promise.all(Array.from({ length: 20 }, () => save(caseId, "INCIDENT_REPORT")));
      expect(saved.map((r) => r.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const all = (await store.listVersions(caseId, "INCIDENT_REPORT", 0, 100)).reports;
      expect(all.map((r) => r.version)).toEqual(Array.from({ length: 20 }, (_, i) => 20 - i));
      expect(all.filter((r) => r.isCurrent).map((r) => r.version)).toEqual([20]);
      expect((await store.current(caseId, "INCIDENT_REPORT"))[0]?.version).toBe(20);
    });

    it("lists a case's reports newest first and versions newest first, page by page", async () => {
      const caseId = uniqueCase();
      const a = await save(caseId);
      await sleep(3);
      const b = await save(caseId, "RUNBOOK");
      await sleep(3);
      const c = await save(caseId);
      const first = await store.listByCase(caseId, 0, 2);
      expect(first.reports.map((r) => r.reportId)).toEqual([c.reportId, b.reportId]);
      expect(first.nextOffset).toBe(2);
      expect((await store.listByCase(caseId, 2, 2)).reports.map((r) => r.reportId)).toEqual([a.reportId]);
      const versions = await store.listVersions(caseId, "RCA_REPORT", 0, 1);
      expect(versions.reports.map((r) => r.version)).toEqual([2]);
      expect(versions.nextOffset).toBe(1);
    });

    it("deletes a report; the newest remaining version becomes current", async () => {
      const caseId = uniqueCase();
      const v1 = await save(caseId);
      const v2 = await save(caseId);
      expect((await store.delete(v2.reportId))?.reportId).toBe(v2.reportId);
      expect(await store.delete(v2.reportId)).toBeUndefined();
      expect(await store.get(v2.reportId)).toBeUndefined();
      expect((await store.get(v1.reportId))?.isCurrent).toBe(true);
      expect((await store.current(caseId)).map((r) => r.reportId)).toEqual([v1.reportId]);
      // Versions stay gapless over the reports that exist: newest + 1.
      expect((await save(caseId)).version).toBe(2);
    });

    it("deletes all of a case's reports", async () => {
      const caseId = uniqueCase();
      const ids = [(await save(caseId)).reportId, (await save(caseId, "POST_MORTEM")).reportId];
      expect([...(await store.deleteCase(caseId))].sort()).toEqual([...ids].sort());
      expect((await store.listByCase(caseId, 0, 10)).reports).toEqual([]);
      expect(await store.current(caseId)).toEqual([]);
      expect((await save(caseId)).version).toBe(1);
    });

    it("remembers a closure after its reports are deleted one by one: a later save expires when the closure ends", async () => {
      const caseId = uniqueCase();
      const reports = [await save(caseId), await save(caseId, "RUNBOOK")];
      const expiresAt = (await store.closeCase(caseId, 900))!;
      for (const report of reports) await store.delete(report.reportId);
      // Closing a case with no reports is refused and leaves its closure as it was.
      expect(await store.closeCase(caseId, 60_000)).toBeUndefined();
      await sleep(400);
      const fresh = await save(caseId);
      await sleep(Math.max(0, expiresAt - Date.now()) + 200);
      // A full 900 ms TTL from the save would still hold it here: it got the remaining one.
      expect(await store.get(fresh.reportId)).toBeUndefined();
      expect((await store.listByCase(caseId, 0, 10)).reports).toEqual([]);
    });

    it("reopens a closed case whose reports were all deleted one by one: the closure is gone and later saves never expire", async () => {
      const caseId = uniqueCase();
      const only = await save(caseId);
      await store.closeCase(caseId, 300);
      await store.delete(only.reportId);
      expect(await store.reopenCase(caseId)).toBe(true);
      expect(await store.reopenCase(caseId)).toBe(false);
      const fresh = await save(caseId);
      await sleep(450);
      expect(await store.get(fresh.reportId)).toBeDefined();
    });

    it("forgets a case entirely on deleteCase, closure included: a later save never expires", async () => {
      const caseId = uniqueCase();
      await save(caseId);
      await store.closeCase(caseId, 300);
      await store.deleteCase(caseId);
      expect(await store.reopenCase(caseId)).toBe(false);
      const fresh = await save(caseId);
      await sleep(450);
      expect(await store.get(fresh.reportId)).toBeDefined();
    });

    it("closes and reopens a case; a closed case's reports expire", async () => {
      const caseId = uniqueCase();
      const report = await save(caseId);
      expect(await store.closeCase(uniqueCase(), 1000)).toBeUndefined();
      const expiresAt = await store.closeCase(caseId, 60_000);
      expect(expiresAt).toBeGreaterThan(Date.now() + 55_000);
      expect(await store.reopenCase(caseId)).toBe(true);
      await store.closeCase(caseId, 300);
      await sleep(450);
      expect(await store.get(report.reportId)).toBeUndefined();
      expect((await store.listByCase(caseId, 0, 10)).reports).toEqual([]);
      expect(await store.reopenCase(caseId)).toBe(false);
    });

    it("commits a save only while its intent is live: without one, or once it has passed, nothing is saved", async () => {
      const caseId = uniqueCase();
      const report = {
        reportId: newCaseReportId(caseId),
        caseId,
        type: "RUNBOOK" as const,
        status: "final" as const,
        title: "",
        createdBy: "u",
      };
      await expect(store.save(report)).rejects.toBeInstanceOf(UnavailableError);
      await store.recordIntent(report, 50);
      await sleep(120);
      expect(await store.saveStates([report.reportId])).toEqual(["failed"]);
      await expect(store.save(report)).rejects.toBeInstanceOf(UnavailableError);
      expect(await store.get(report.reportId)).toBeUndefined();
      expect((await store.listByCase(caseId, 0, 10)).reports).toEqual([]);
      expect(await store.dropIntent(report.reportId, true)).toBe(true);
      expect(await store.saveStates([report.reportId])).toEqual(["unknown"]);
    });

    it("tells saved, pending, failed and unknown saves apart", async () => {
      const caseId = uniqueCase();
      const saved = await save(caseId);
      const pending = {
        reportId: newCaseReportId(caseId),
        caseId,
        type: "RUNBOOK" as const,
        status: "final" as const,
        title: "",
        createdBy: "u",
      };
      const failed = { ...pending, reportId: newCaseReportId(caseId) };
      await store.recordIntent(pending, 60_000);
      await store.recordIntent(failed, 30);
      await sleep(100);
      expect(await store.saveStates([saved.reportId, pending.reportId, failed.reportId, newCaseReportId(caseId)])).toEqual([
        "saved",
        "pending",
        "failed",
        "unknown",
      ]);
      // A live intent is only dropped when asked regardless of its time (a save known to have had no effect).
      expect(await store.dropIntent(pending.reportId, true)).toBe(false);
      expect(await store.dropIntent(pending.reportId, false)).toBe(true);
      expect(await store.dropIntent(saved.reportId, false)).toBe(false);
      expect(await store.get(saved.reportId)).toBeDefined();
    });

    it("answers a save retried with the same idempotency key with the first report, and keeps one version", async () => {
      const caseId = uniqueCase();
      const meta = { caseId, type: "RCA_REPORT" as const, status: "final" as const, title: "t", createdBy: "user_1" };
      const first = await keyed("SaveReport:k1", () => saveWithIntent(store, { ...meta, reportId: newCaseReportId(caseId) }));
      expect(await keyed("SaveReport:k1", () => store.replayedSave(meta))).toEqual(first);
      // A retry that did not look first (it raced the first attempt) still gets the first report.
      const second = await keyed("SaveReport:k1", () => saveWithIntent(store, { ...meta, reportId: newCaseReportId(caseId) }));
      expect(second).toEqual(first);
      expect((await store.listVersions(caseId, "RCA_REPORT", 0, 10)).reports.map((r) => r.reportId)).toEqual([first.reportId]);
      // Another key, or none, saves anew.
      expect(await keyed("SaveReport:k2", () => store.replayedSave(meta))).toBeUndefined();
      expect(await store.replayedSave(meta)).toBeUndefined();
    });

    it("refuses an idempotency key reused with another request (idempotency_key)", async () => {
      const caseId = uniqueCase();
      const meta = { caseId, type: "RCA_REPORT" as const, status: "final" as const, title: "t", createdBy: "user_1" };
      await keyed("SaveReport:k3", () => saveWithIntent(store, { ...meta, reportId: newCaseReportId(caseId) }));
      const reused = keyed("SaveReport:k3", () => store.replayedSave(meta), "e".repeat(64));
      await expect(reused).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(reused).rejects.toMatchObject({ violations: [{ field: "idempotency_key" }] });
    });

    it("answers retried deletes and case-wide calls with their first answer", async () => {
      const caseId = uniqueCase();
      const report = await save(caseId);
      const deleted = await keyed("DeleteReport:d1", () => store.delete(report.reportId));
      expect(deleted?.reportId).toBe(report.reportId);
      expect(await keyed("DeleteReport:d1", () => store.delete(report.reportId))).toEqual(deleted);
      expect(await store.delete(report.reportId)).toBeUndefined();

      await save(caseId);
      const expiresAt = await keyed("CloseCase:c1", () => store.closeCase(caseId, 60_000));
      await sleep(5);
      expect(await keyed("CloseCase:c1", () => store.closeCase(caseId, 60_000))).toBe(expiresAt);
      expect(await keyed("ReopenCase:r1", () => store.reopenCase(caseId))).toBe(true);
      expect(await keyed("ReopenCase:r1", () => store.reopenCase(caseId))).toBe(true);
      const ids = await keyed("DeleteCaseReports:x1", () => store.deleteCase(caseId));
      expect(ids).toHaveLength(1);
      expect(await keyed("DeleteCaseReports:x1", () => store.deleteCase(caseId))).toEqual(ids);
    });
  });
}
