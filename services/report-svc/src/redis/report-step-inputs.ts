import type { NewReport } from "../domain/report.js";

/** A report to save with its metadata fields. */
export interface SaveInput {
  readonly report: NewReport;
  readonly fields: Readonly<Record<string, string>>;
}

/** What a save decided. */
export interface SaveOutcome {
  /** The saved report: another one than the input's when a retry with the same idempotency key saved first. */
  readonly reportId: string;
  readonly version: number;
  readonly createdAt: number;
  readonly isCurrent: boolean;
}

/** A case-wide TTL change or delete. */
export interface CaseKeysInput {
  readonly caseId: string;
  readonly action: "expire" | "persist" | "delete";
  readonly ttlMs: number;
}

/** What a case-wide step found: the Redis time, the case's report ids, and whether a closure was recorded before it. */
export interface CaseKeysOutcome {
  readonly now: number;
  readonly ids: string[];
  readonly wasClosed: boolean;
}
