import { ServiceError, UnavailableError } from "@faultmaven/errors";
import type { Logger } from "pino";
import type { ContentStore } from "./content-store.js";
import type { Embedder } from "./embedder.js";
import { ContentMissingError, ReportLimitError, ReportNotFoundError } from "./errors.js";
import { REPORT_ID_PATTERN, type NewReport, type ReportRecord, type ReportType } from "./report.js";
import type { ReportStore } from "./report-store.js";

/** A search result: metadata, similarity (1 = identical) and the start of the content. */
export interface SearchHit {
  readonly report: ReportRecord;
  readonly score: number;
  readonly snippet: string;
}

/**
 * True when a failed metadata write certainly had no effect and never will
 * (for Redis: offline client, refused connection, a script that arrived
 * after its not-after bound), so its content can go at once. The store's
 * adapter knows; the domain only asks.
 */
export type NeverApplied = (failure: unknown) => boolean;

/** How saves and reconciliation are bounded (see config.ts). */
export interface ReportsPolicy {
  /** How long a save may take from its save intent to its metadata commit (ms), capped by the call's deadline. */
  readonly saveWindowMs: number;
  /** A reconciliation pass may always delete this many documents... */
  readonly reconcileMaxDeletes: number;
  /** ...or this percentage of the collection when larger; the rest waits for the next passes. */
  readonly reconcileMaxDeletePercent: number;
}

export const DEFAULT_REPORTS_POLICY: ReportsPolicy = { saveWindowMs: 10_000, reconcileMaxDeletes: 10, reconcileMaxDeletePercent: 5 };

/** What one reconciliation pass found and did. */
export interface ReconcileOutcome {
  /** Content examined (ours: rep_ ids). */
  readonly examined: number;
  /** Content of failed saves (intent passed, no metadata). */
  readonly failed: number;
  /** Content deleted. */
  readonly deleted: number;
  /** Content with neither metadata nor save intent: kept, counted. */
  readonly orphans: number;
  /** Failed saves beyond this pass's allowance, left for the next passes. */
  readonly deferred: number;
}

/**
 * Reports across two stores, with no lies between them:
 * - save records a save intent in the metadata store (naming the time after
 *   which the save can no longer commit), writes content (Chroma down:
 *   UNAVAILABLE), then commits the metadata, which needs the live intent and
 *   removes it. A failed save leaves nothing visible: its content goes at
 *   once when the failure certainly had no effect, else reconciliation
 *   removes it once the intent's time has passed without metadata;
 * - a save with an idempotency key answers a retry from the first save's
 *   record before writing anything; a concurrent retry that commits second
 *   gets the first one's report and removes its own content;
 * - deletes remove metadata first, so nothing visible points at missing
 *   content;
 * - reads never return empty content for a report that has content.
 * Reconciliation deletes only the content of saves known to have failed,
 * never content merely absent from the metadata store (a restored or
 * different Redis), and refuses a pass that would delete too much.
 */
export class Reports {
  constructor(
    private readonly store: ReportStore,
    private readonly content: ContentStore,
    private readonly embedder: Embedder,
    private readonly logger: Logger,
    /** Unset: never certain, so a failed save's content is left to reconciliation. */
    private readonly neverApplied: NeverApplied = () => false,
    private readonly policy: ReportsPolicy = DEFAULT_REPORTS_POLICY,
  ) {}

  async save(input: Omit<NewReport, "reportId"> & { content: string }, signal?: AbortSignal): Promise<ReportRecord> {
    const { content, ...meta } = input;
    const replayed = await this.store.replayedSave(meta);
    if (replayed) return replayed;
    const [embedding] = await this.#embed([content], signal);
    const report = { ...meta, reportId: this.store.newReportId(meta.caseId) };
    await this.store.recordIntent(report, this.policy.saveWindowMs);
    // A put that fails may still land (a frozen Chroma that resumes): its intent lets reconciliation remove it.
    await this.content.put(report.reportId, content, embedding!, { caseId: meta.caseId, type: meta.type });
    let saved: ReportRecord;
    try {
      saved = await this.store.save(report);
    } catch (error) {
      // A refusal by the store (the type is full) wrote nothing, like a failure the adapter knows had no
      // effect; any other failure may have committed (OUTCOME_UNKNOWN): reconciliation judges its content.
      if (error instanceof ReportLimitError || this.neverApplied(error)) await this.#discard(report.reportId);
      throw error;
    }
    // A retry with the same idempotency key saved first: that is the answer, this content is not needed.
    if (saved.reportId !== report.reportId) await this.#discard(report.reportId);
    return saved;
  }

  async get(reportId: string, includeContent: boolean): Promise<{ report: ReportRecord; content: string | undefined }> {
    const report = await this.store.get(reportId);
    if (!report) throw new ReportNotFoundError(reportId);
    if (!includeContent) return { report, content: undefined };
    const content = await this.content.get(reportId);
    if (content === undefined) throw new ContentMissingError(reportId);
    return { report, content };
  }

  /**
   * The `limit` most similar reports whose score (1 - cosine distance) is
   * strictly above `minScore`: with 0, a report that shares nothing with the
   * query is never a hit.
   */
  async search(
    query: string,
    filter: { caseId?: string; type?: ReportType },
    { limit, minScore }: { limit: number; minScore: number },
    signal?: AbortSignal,
  ): Promise<SearchHit[]> {
    const [embedding] = await this.#embed([query], signal);
    const matches = (await this.content.query(embedding!, filter, limit)).filter(
      (m) => REPORT_ID_PATTERN.test(m.reportId) && 1 - m.distance > minScore,
    );
    const reports = await this.store.getMany(matches.map((m) => m.reportId));
    // Content without metadata (an orphan) is never shown.
    return matches.flatMap((match, i) => {
      const report = reports[i];
      return report ? [{ report, score: 1 - match.distance, snippet: snippet(match.content) }] : [];
    });
  }

  async delete(reportId: string): Promise<ReportRecord | undefined> {
    const deleted = await this.store.delete(reportId);
    if (deleted) await this.#deleteContent([reportId]);
    return deleted;
  }

  async deleteCase(caseId: string): Promise<number> {
    const ids = await this.store.deleteCase(caseId);
    await this.#deleteContent(ids);
    return ids.length;
  }

  /**
   * One reconciliation pass over the content store: deletes the content of
   * saves known to have failed (intent passed, no metadata) and their
   * intents; keeps content with metadata or a live intent; keeps and counts
   * content with neither (an orphan: maybe the only copy of a report whose
   * metadata this Redis lacks). Deletes no more than the policy allows in one
   * pass (so a bug or a surprise can only do bounded harm per pass); the
   * rest waits for the next passes, with a warning.
   */
  async reconcile(): Promise<ReconcileOutcome> {
    // Only our own ids are candidates; anything else in the collection is not ours to judge.
    const ids = (await this.content.idsWrittenBefore(Date.now())).filter((id) => REPORT_ID_PATTERN.test(id));
    const states = await this.store.saveStates(ids);
    const failed = ids.filter((_, i) => states[i] === "failed");
    const orphans = states.filter((state) => state === "unknown").length;
    const allowed = Math.max(this.policy.reconcileMaxDeletes, Math.floor((ids.length * this.policy.reconcileMaxDeletePercent) / 100));
    const outcome = { examined: ids.length, failed: failed.length, orphans };
    if (orphans > 0) this.logger.warn({ orphans }, "reconciliation kept content that has neither metadata nor a save intent");
    const now = failed.slice(0, allowed);
    const deferred = failed.length - now.length;
    if (deferred > 0) {
      this.logger.warn(
        { ...outcome, allowed, deferred },
        "reconciliation deletes at most the allowed share per pass: the rest waits for the next passes",
      );
    }
    await this.content.delete(now);
    // Content first: an intent removed before its content would leave that content an orphan.
    for (const id of now) await this.store.dropIntent(id, true);
    if (now.length > 0) this.logger.info({ deleted: now.length }, "reconciliation removed the content of failed saves");
    return { ...outcome, deleted: now.length, deferred };
  }

  /** Removes the content and intent of a save known to have no effect; left to reconciliation when that fails. */
  async #discard(reportId: string): Promise<void> {
    try {
      await this.content.delete([reportId]);
      await this.store.dropIntent(reportId, false);
    } catch (cleanup) {
      this.logger.warn({ err: cleanup, report_id: reportId }, "discarding a failed save's content deferred: reconciliation will remove it");
    }
  }

  async #deleteContent(ids: readonly string[]): Promise<void> {
    await this.content
      .delete(ids)
      .catch((error: unknown) =>
        this.logger.warn({ err: error, count: ids.length }, "content delete failed: orphan content left for reconciliation"),
      );
  }

  async #embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    try {
      return await this.embedder.embed(texts, signal);
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      throw new UnavailableError("embedding provider", { cause: error });
    }
  }
}

function snippet(content: string): string {
  const flat = content.replace(/\s+/g, " ").trim();
  return flat.length <= 200 ? flat : `${flat.slice(0, 197)}...`;
}
