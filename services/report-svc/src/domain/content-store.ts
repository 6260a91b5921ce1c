import type { ReportType } from "./report.js";

/** A search hit from the content store. */
export interface ContentMatch {
  readonly reportId: string;
  /** Cosine distance: 0 is identical. */
  readonly distance: number;
  readonly content: string;
}

/** Where report content and its embeddings live (ChromaDB). Failures raise UnavailableError. */
export interface ContentStore {
  put(reportId: string, content: string, embedding: number[], meta: { caseId: string; type: ReportType }): Promise<void>;
  /** The content, or undefined when the store has none for this id. */
  get(reportId: string): Promise<string | undefined>;
  delete(reportIds: readonly string[]): Promise<void>;
  query(embedding: number[], filter: { caseId?: string; type?: ReportType }, limit: number): Promise<ContentMatch[]>;
  /** Ids of content written before `before` (Unix ms): candidates for reconciliation. */
  idsWrittenBefore(before: number): Promise<string[]>;
  /** True when the store answers. */
  ping(): Promise<boolean>;
}
