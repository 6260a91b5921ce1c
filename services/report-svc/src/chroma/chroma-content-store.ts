import { callOverError, currentCallScope, onCallEnd, outsideCallScope } from "@faultmaven/call-scope";
import { ServiceError, UnavailableError } from "@faultmaven/errors";
import { ChromaClient, type Collection, type Where } from "chromadb";
import type { ContentMatch, ContentStore } from "../domain/content-store.js";
import { CONTENT_COLLECTION, type ReportType } from "../domain/report.js";
import { scopedChromaFetch, useFetch } from "./chroma-fetch.js";

/**
 * Report content in the Chroma collection `faultmaven_case_reports`
 * (cosine space), one document per report id, with the embedding the service
 * computed and {case_id, type, written_at} metadata for filtered search and
 * reconciliation. Every HTTP request is bounded by `timeoutMs` and, inside
 * a call, by the call's deadline and cancellation (the request is aborted,
 * see `scopedChromaFetch`). A call's end is raised as DEADLINE_EXCEEDED or
 * CANCELLED; any other failure is UNAVAILABLE: Chroma errors are outages as
 * far as callers are concerned.
 */
export class ChromaContentStore implements ContentStore {
  readonly #client: ChromaClient;
  #collection: Promise<Collection> | undefined;

  constructor(
    url: string,
    private readonly embeddingModel: string,
    timeoutMs: number,
  ) {
    const parsed = new URL(url);
    this.#client = new ChromaClient({
      host: parsed.hostname,
      port: Number(parsed.port || (parsed.protocol === "https:" ? 443 : 8000)),
      ssl: parsed.protocol === "https:",
    });
    useFetch(this.#client, scopedChromaFetch(timeoutMs));
  }

  put(reportId: string, content: string, embedding: number[], meta: { caseId: string; type: ReportType }): Promise<void> {
    return this.#call(async (collection) => {
      await collection.upsert({
        ids: [reportId],
        documents: [content],
        embeddings: [embedding],
        metadatas: [{ case_id: meta.caseId, type: meta.type, written_at: Date.now() }],
      });
    });
  }

  get(reportId: string): Promise<string | undefined> {
    return this.#call(async (collection) => {
      const result = await collection.get({ ids: [reportId], include: ["documents"] });
      return result.documents[0] ?? undefined;
    });
  }

  delete(reportIds: readonly string[]): Promise<void> {
    if (reportIds.length === 0) return Promise.resolve();
    return this.#call(async (collection) => {
      await collection.delete({ ids: [...reportIds] });
    });
  }

  query(embedding: number[], filter: { caseId?: string; type?: ReportType }, limit: number): Promise<ContentMatch[]> {
    return this.#call(async (collection) => {
      const clauses: Where[] = [];
      if (filter.caseId) clauses.push({ case_id: filter.caseId });
      if (filter.type) clauses.push({ type: filter.type });
      const where = clauses.length === 0 ? undefined : clauses.length === 1 ? clauses[0] : { $and: clauses };
      const result = await collection.query({
        queryEmbeddings: [embedding],
        nResults: limit,
        include: ["documents", "distances"],
        ...(where ? { where } : {}),
      });
      const ids = result.ids[0] ?? [];
      return ids.map((reportId, i) => ({
        reportId,
        distance: result.distances[0]?.[i] ?? 1,
        content: result.documents[0]?.[i] ?? "",
      }));
    });
  }

  /** Pages through the collection (each page bounded by the timeout) so large collections still reconcile. */
  async idsWrittenBefore(before: number, pageSize = 500): Promise<string[]> {
    const ids: string[] = [];
    for (let offset = 0; ; offset += pageSize) {
      const page = await this.#call((collection) =>
        collection.get({ where: { written_at: { $lt: before } }, include: [], limit: pageSize, offset }),
      );
      ids.push(...page.ids);
      if (page.ids.length < pageSize) return ids;
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.#client.heartbeat();
      return true;
    } catch {
      return false;
    }
  }

  async #call<T>(operation: (collection: Collection) => Promise<T>): Promise<T> {
    try {
      return await operation(await this.#open());
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      throw new UnavailableError("chromadb", { cause: error });
    }
  }

  /**
   * The collection handle, fetched once and shared by every call: fetched
   * outside any call (one caller's deadline must not fail the others), while
   * each caller stops waiting for it when its own call ends.
   */
  #open(): Promise<Collection> {
    this.#collection ??= outsideCallScope(() =>
      this.#client.getOrCreateCollection({
        name: CONTENT_COLLECTION,
        embeddingFunction: null,
        configuration: { hnsw: { space: "cosine" } },
        metadata: { embedding_model: this.embeddingModel },
      }),
    ).catch((error: unknown) => {
      this.#collection = undefined;
      throw error;
    });
    return untilCallEnds(this.#collection);
  }
}

/** `promise`, or the current call's DeadlineExceededError/CancelledError if the call ends first. */
function untilCallEnds<T>(promise: Promise<T>): Promise<T> {
  const scope = currentCallScope();
  if (scope === undefined) return promise;
  const over = callOverError(scope, new Error("chromadb collection not opened: the call was over"));
  if (over) return Promise.reject(over);
  let stopListening: (() => void) | undefined;
  const ended = new Promise<never>((_, reject) => {
    stopListening = onCallEnd(scope, () =>
      reject(callOverError(scope, new Error("chromadb collection still opening when the call ended"))),
    );
  });
  return Promise.race([promise, ended]).finally(() => stopListening!());
}
