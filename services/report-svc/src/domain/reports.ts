import { ServiceError, UnavailableError } from "@faultmaven/errors";
import type { Logger } from "pino";
import type { ContentStore } from "./content-store.js";
import type { Embedder } from "./embedder.js";
import { ContentMissingError, ReportNotFoundError } from "./errors.js";
import { newReportId, REPORT_ID_PATTERN, type NewReport, type ReportRecord, type ReportType } from "./report.js";
import type { ReportStore } from "./report-store.js";

/** A search result: metadata, similarity (1 = identical) and the start of the content. */
export interface SearchHit {
  readonly report: ReportRecord;
  readonly score: number;
  readonly snippet: string;
}

/** Content written this long ago without metadata is an orphan (younger may be a save in flight). */
export const ORPHAN_GRACE_MS = 5 * 60_000;

/**
 * True when a failed metadata write certainly never reached its store, so
 * nothing it would have written exists. The store's adapter knows (for Redis:
 * offline client, refused connection); the domain only asks.
 */
export type NeverApplied = (failure: unknown) => boolean;

/**
 * Reports across two stores, with no lies between them:
 * - save writes content first (Chroma down: nothing written, UNAVAILABLE),
 *   then metadata; when the metadata write fails the content is deleted
 *   again (compensation). Once the call is over (deadline, cancellation)
 *   no further step starts: content that lands late (a frozen Chroma that
 *   resumes) has no metadata and is removed by `reconcile`;
 * - deletes remove metadata first, so nothing visible points at missing
 *   content; content a failed step leaves behind is an orphan that
 *   `reconcile` removes (it runs at start and periodically);
 * - reads never return empty content for a report that has content.
 */
export class Reports {
  constructor(
    private readonly store: ReportStore,
    private readonly content: ContentStore,
    private readonly embedder: Embedder,
    private readonly logger: Logger,
    /** Unset: never certain, so compensation always checks for metadata first. */
    private readonly neverApplied: NeverApplied = () => false,
  ) {}

  async save(input: Omit<NewReport, "reportId"> & { content: string }, signal?: AbortSignal): Promise<ReportRecord> {
    const { content, ...meta } = input;
    const reportId = newReportId();
    const [embedding] = await this.#embed([content], signal);
    await this.content.put(reportId, content, embedding!, { caseId: meta.caseId, type: meta.type });
    try {
      return await this.store.save({ ...meta, reportId });
    } catch (error) {
      // The undo is bounded by the call like any other store work: once the
      // caller's deadline has passed (or it cancelled) nothing more starts,
      // and the reconciler removes the content instead (orphan content is
      // never shown: every read goes through the metadata).
      await this.#compensate(reportId, error);
      throw error;
    }
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

  /** Deletes content older than the grace period that has no metadata. Returns how many. */
  async reconcile(now = Date.now()): Promise<number> {
    // Only our own ids are candidates; anything else in the collection is not ours to judge.
    const candidates = (await this.content.idsWrittenBefore(now - ORPHAN_GRACE_MS)).filter((id) => REPORT_ID_PATTERN.test(id));
    const reports = await this.store.getMany(candidates);
    const orphans = candidates.filter((_, i) => reports[i] === undefined);
    await this.content.delete(orphans);
    if (orphans.length > 0) this.logger.info({ deleted: orphans.length }, "reconciliation removed orphan content");
    return orphans.length;
  }

  /**
   * Undoes the content write of a failed save. When the metadata write
   * certainly never reached Redis the content goes at once; when it may have
   * landed (a timeout can hide a success) the content goes only if no
   * metadata exists. When even that cannot be checked, the reconciler
   * decides later.
   */
  async #compensate(reportId: string, failure: unknown): Promise<void> {
    try {
      if (this.neverApplied(failure) || (await this.store.get(reportId)) === undefined) await this.content.delete([reportId]);
    } catch (cleanup) {
      this.logger.warn({ err: cleanup, report_id: reportId }, "compensation deferred: reconciliation will decide");
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
