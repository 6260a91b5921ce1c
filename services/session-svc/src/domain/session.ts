/** A message as the store keeps it. Times are Unix milliseconds. */
export interface MessageRecord {
  readonly role: MessageRole;
  readonly content: string;
  readonly timestamp: number;
  readonly metadata: Readonly<Record<string, string>>;
}

export type MessageRole = "user" | "assistant" | "system" | "tool";

/** A live session as the store returns it. Times are Unix milliseconds. */
export interface SessionRecord {
  readonly sessionId: string;
  readonly userId: string;
  readonly clientId: string;
  /** Empty when not linked to a case. */
  readonly caseId: string;
  readonly createdAt: number;
  readonly lastActivity: number;
  /** When the session expires unless used again. */
  readonly expiresAt: number;
  /** Hard end under the absolute lifetime cap; undefined without a cap. */
  readonly absoluteExpiresAt: number | undefined;
  /** The most recent messages, oldest first. */
  readonly messages: readonly MessageRecord[];
  /** Messages ever appended, including trimmed ones. */
  readonly messageCount: number;
  readonly context: Readonly<Record<string, string>>;
  /** 1 when created, +1 with every change (update, append, lock call); touches leave it as it is. */
  readonly version: number;
}

/** What a write answers: the session's new version and expiry, and the whole session only when asked for. */
export interface WriteOutcome {
  readonly version: number;
  readonly lastActivity: number;
  readonly expiresAt: number;
  /** The session after the write, when the call asked for it (`returnSession`); else undefined. */
  readonly session: SessionRecord | undefined;
}

/** What an append answers: the message as stored and the session's new counters. */
export interface AppendOutcome extends WriteOutcome {
  readonly message: MessageRecord;
  /** Messages ever appended, this one included: the message's number. */
  readonly messageCount: number;
  /** The oldest messages this append dropped to stay within the limits. */
  readonly trimmedMessages: number;
}

/** Options of a write: whether to answer the whole session too (costs O(the session)). */
export interface WriteOptions {
  readonly returnSession?: boolean;
}

/** A held session lock. */
export interface LockRecord {
  readonly sessionId: string;
  readonly owner: string;
  readonly fencingToken: number;
  readonly expiresAt: number;
}

/** What an update changes; fields left undefined stay as they are. */
export interface SessionChanges {
  /** New case link; "" clears it. */
  readonly caseId?: string;
  /** Replace the whole context map with this one. */
  readonly replaceContext?: Readonly<Record<string, string>>;
  /** Set these context keys (applied after replaceContext). */
  readonly setContext?: Readonly<Record<string, string>>;
  /** Remove these context keys. */
  readonly removeContext?: readonly string[];
}

/** New-session input of create-or-resume. */
export interface NewSession {
  readonly userId: string;
  readonly clientId: string;
  readonly caseId: string;
  readonly context: Readonly<Record<string, string>>;
}

/** The timing rules every store applies. */
export interface SessionPolicy {
  /** Idle expiry, slid by every write or touch (default 30 min). */
  readonly idleTtlMs: number;
  /** Absolute lifetime cap from creation; 0 disables it. */
  readonly maxLifetimeMs: number;
  /** How many recent messages a session keeps. */
  readonly maxMessages: number;
  /** What one session may hold (SESSION_LIMITS in session-limits.ts). */
  readonly limits: SessionLimits;
}

/**
 * How much one session may hold. Both stores enforce them atomically with
 * the write (the Redis scripts, the in-memory store's synchronous update),
 * so no sequence of valid calls gets past them. Bytes are UTF-8 bytes.
 */
export interface SessionLimits {
  /** Context entries in all (a request adds at most 64, the contract's per-request limit). */
  readonly contextEntries: number;
  /** Context keys plus values. */
  readonly contextBytes: number;
  /**
   * The kept messages as stored (storedMessage in session-limits.ts). An append trims the oldest messages to make room; a single
   * message larger than this is refused.
   */
  readonly messageBytes: number;
}
