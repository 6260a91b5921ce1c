import type { SessionEvent, WatchOptions } from "./session-event.js";
import type {
  AppendOutcome,
  LockRecord,
  MessageRecord,
  NewSession,
  SessionChanges,
  SessionRecord,
  WriteOptions,
  WriteOutcome,
} from "./session.js";

/** One page of a user's sessions. */
export interface SessionPage {
  readonly sessions: readonly SessionRecord[];
  /** Where the next page starts; undefined on the last page. */
  readonly nextOffset: number | undefined;
}

/**
 * Where sessions live: Redis in production, memory in development. Both
 * implementations pass the same contract suite. Inputs are already validated.
 * Missing or expired sessions raise SessionNotFoundError (except `get`,
 * `findByClient` and `delete`, which report absence in their result).
 * Every write and touch slides the idle expiry of the session and of its
 * client index. Writes keep a session within `policy.limits`
 * (session-limits.ts), checked atomically with the write; a refused write
 * changes nothing, not even the expiry.
 */
export interface SessionStore {
  /** Returns the live session of (userId, clientId), touched, or creates one (InvalidArgumentError on `context` past a limit). */
  createOrResume(input: NewSession): Promise<{ session: SessionRecord; resumed: boolean }>;
  get(sessionId: string): Promise<SessionRecord | undefined>;
  findByClient(userId: string, clientId: string): Promise<SessionRecord | undefined>;
  /** A user's live sessions, newest first: at most `limit`, ending before LIST_PAGE_MAX_BYTES (at least one). */
  listByUser(userId: string, offset: number, limit: number): Promise<SessionPage>;
  /**
   * Raises SessionLimitError when the context would go past a limit. Its
   * work does not grow with the session unless `options.returnSession`.
   */
  update(sessionId: string, changes: SessionChanges, options?: WriteOptions): Promise<WriteOutcome>;
  /**
   * Appends atomically and trims to the policy's most recent messages within
   * its message byte limit; InvalidArgumentError on `message` when the
   * message alone is larger than that limit. Its work does not grow with
   * the session unless `options.returnSession`.
   */
  appendMessage(sessionId: string, message: Omit<MessageRecord, "timestamp">, options?: WriteOptions): Promise<AppendOutcome>;
  touch(sessionId: string): Promise<{ lastActivity: number; expiresAt: number }>;
  /** False when there was nothing to delete. */
  delete(sessionId: string): Promise<boolean>;
  /** Raises SessionLockedError while another owner holds an unexpired lease. */
  acquireLock(sessionId: string, owner: string, leaseMs: number): Promise<LockRecord>;
  /** Raises LockNotHeldError unless (owner, fencingToken) holds the lock. */
  refreshLock(sessionId: string, owner: string, fencingToken: number, leaseMs: number): Promise<LockRecord>;
  /** Raises LockNotHeldError unless (owner, fencingToken) holds the lock; returns the release time. */
  releaseLock(sessionId: string, owner: string, fencingToken: number): Promise<number>;
  /**
   * The session's changes as they happen (see SessionEvent): first a
   * snapshot (or `caught_up` at `options.fromVersion`), then every change in
   * version order, a fresh snapshot after any gap, and a final `deleted` or
   * `expired`. Fails with SessionNotFoundError when the session does not
   * exist, ResourceExhaustedError past the process's watcher limit,
   * UnavailableError when the store cannot promise to deliver every change
   * (subscription lost). Aborting `options.signal` ends it and frees what it
   * held at once.
   */
  watch(sessionId: string, options: WatchOptions): AsyncIterable<SessionEvent>;
  close(): Promise<void>;
}
