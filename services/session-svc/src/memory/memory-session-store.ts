import { LockNotHeldError, SessionLockedError, SessionNotFoundError } from "../domain/errors.js";
import { newSessionId } from "../domain/session-id.js";
import type {
  AppendOutcome,
  LockRecord,
  MessageRecord,
  NewSession,
  SessionChanges,
  SessionPolicy,
  SessionRecord,
  WriteOptions,
  WriteOutcome,
} from "../domain/session.js";
import type { SessionPage, SessionStore } from "../domain/session-store.js";
import {
  checkContext,
  checkNewContext,
  contextAfter,
  contextUsage,
  keptMessages,
  LIST_PAGE_MAX_BYTES,
  pageThatFits,
  sessionBytes,
} from "../domain/session-limits.js";
import type { LockState, SessionEvent, WatchOptions } from "../domain/session-event.js";
import { DEFAULT_WATCH_LIMITS, type WatchLimits } from "../watch/watch-limits.js";
import { watchSession } from "../watch/watch-session.js";
import { WatchTopics } from "../watch/watch-topics.js";
import { IdempotencyMemo } from "./idempotency-memo.js";

interface Entry {
  session: SessionRecord;
  lock: { owner: string; until: number } | undefined;
  fence: number;
}

/**
 * Sessions in process memory: the development fallback when Redis is not
 * there (data is lost on restart). It keeps the Redis store's contract, TTLs
 * included; expired entries vanish on access and in a background sweep.
 * Node runs each call's synchronous part without interleaving, which gives
 * the same atomicity the Redis scripts give (limits included: each write
 * checks and applies in one synchronous step). Idempotency keys are honoured
 * as the Redis store honours them (IdempotencyMemo). Every write hands its
 * watch event to the watchers of its session in the same synchronous step,
 * so events keep the order of the writes, as Redis' publish-from-script does.
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Entry>();
  readonly #clientIndex = new Map<string, string>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #memo: IdempotencyMemo;
  readonly #topics: WatchTopics;

  constructor(
    private readonly policy: SessionPolicy,
    private readonly clock: () => number = Date.now,
    private readonly watchLimits: WatchLimits = DEFAULT_WATCH_LIMITS,
  ) {
    this.#memo = new IdempotencyMemo(clock);
    this.#topics = new WatchTopics(
      {
        subscribe: async () => {},
        unsubscribe: () => {},
        remainingMs: async (sessionId) => {
          const entry = this.#live(sessionId);
          return entry ? entry.session.expiresAt - this.clock() : undefined;
        },
      },
      watchLimits,
    );
    this.#sweeper = setInterval(() => this.#sweep(), 60_000).unref();
  }

  async createOrResume(input: NewSession): Promise<{ session: SessionRecord; resumed: boolean }> {
    checkNewContext(input.context, this.policy.limits);
    const outcome = this.#memo.once(indexKey(input.userId, input.clientId), () => this.#createOrResume(input));
    // As in Redis, a retry of a resume answers the session as it is now.
    return outcome.resumed ? { session: this.#require(outcome.session.sessionId).session, resumed: true } : outcome;
  }

  #createOrResume(input: NewSession): { session: SessionRecord; resumed: boolean } {
    const existingId = this.#clientIndex.get(indexKey(input.userId, input.clientId));
    const existing = existingId ? this.#live(existingId) : undefined;
    if (existing) return { session: this.#touched(existing), resumed: true };
    const now = this.clock();
    const session: SessionRecord = {
      sessionId: newSessionId(),
      userId: input.userId,
      clientId: input.clientId,
      caseId: input.caseId,
      createdAt: now,
      lastActivity: now,
      expiresAt: now + Math.min(this.policy.idleTtlMs, this.policy.maxLifetimeMs || Infinity),
      absoluteExpiresAt: this.policy.maxLifetimeMs > 0 ? now + this.policy.maxLifetimeMs : undefined,
      messages: [],
      messageCount: 0,
      context: { ...input.context },
      version: 1,
    };
    this.#sessions.set(session.sessionId, { session, lock: undefined, fence: 0 });
    this.#clientIndex.set(indexKey(input.userId, input.clientId), session.sessionId);
    return { session, resumed: false };
  }

  async get(sessionId: string): Promise<SessionRecord | undefined> {
    return this.#live(sessionId)?.session;
  }

  async findByClient(userId: string, clientId: string): Promise<SessionRecord | undefined> {
    const sessionId = this.#clientIndex.get(indexKey(userId, clientId));
    return sessionId ? this.#live(sessionId)?.session : undefined;
  }

  async listByUser(userId: string, offset: number, limit: number): Promise<SessionPage> {
    const all = [...this.#sessions.keys()]
      .map((id) => this.#live(id)?.session)
      .filter((s): s is SessionRecord => s?.userId === userId)
      .sort((a, b) => b.createdAt - a.createdAt);
    const candidates = all.slice(offset, offset + limit);
    const sessions = candidates.slice(0, pageThatFits(candidates.map(sessionBytes), LIST_PAGE_MAX_BYTES));
    return { sessions, nextOffset: all.length > offset + sessions.length ? offset + sessions.length : undefined };
  }

  async update(sessionId: string, changes: SessionChanges, options: WriteOptions = {}): Promise<WriteOutcome> {
    // As in Redis: a retry answers the first outcome, or, when the session was asked for, the session as it is now.
    const session = this.#memo.once(
      sessionId,
      () => this.#update(sessionId, changes),
      options.returnSession ? () => this.#require(sessionId).session : undefined,
    );
    return { ...writeOutcome(session), session: options.returnSession ? session : undefined };
  }

  #update(sessionId: string, changes: SessionChanges): SessionRecord {
    const entry = this.#require(sessionId);
    const context = contextAfter(entry.session.context, changes);
    checkContext(contextUsage(entry.session.context), contextUsage(context), this.policy.limits);
    const changed =
      changes.caseId !== undefined ||
      changes.replaceContext !== undefined ||
      Object.keys(changes.setContext ?? {}).length > 0 ||
      (changes.removeContext ?? []).length > 0;
    if (!changed) return this.#touched(entry);
    entry.session = { ...entry.session, caseId: changes.caseId ?? entry.session.caseId, context, version: entry.session.version + 1 };
    const session = this.#slide(entry);
    this.#publish(session, {
      kind: "updated",
      ...this.#change(session),
      caseId: changes.caseId,
      contextCleared: changes.replaceContext !== undefined,
      setContext: { ...changes.replaceContext, ...changes.setContext },
      removedContextKeys: [...(changes.removeContext ?? [])],
    });
    return session;
  }

  async appendMessage(sessionId: string, message: Omit<MessageRecord, "timestamp">, options: WriteOptions = {}): Promise<AppendOutcome> {
    if (!options.returnSession) return this.#memo.once(sessionId, () => this.#append(sessionId, message));
    // A retry that asks for the session answers the session and its counters as they are now.
    const outcome = this.#memo.once(
      sessionId,
      () => this.#append(sessionId, message),
      () => {
        const session = this.#require(sessionId).session;
        const stored = { ...message, timestamp: session.lastActivity };
        return { ...writeOutcome(session), message: stored, messageCount: session.messageCount, trimmedMessages: 0 };
      },
    );
    return { ...outcome, session: this.#require(sessionId).session };
  }

  #append(sessionId: string, message: Omit<MessageRecord, "timestamp">): AppendOutcome {
    const entry = this.#require(sessionId);
    const stored = { ...message, timestamp: this.clock() };
    const appended = [...entry.session.messages, stored];
    const messages = keptMessages(appended, this.policy.maxMessages, this.policy.limits);
    const messageCount = entry.session.messageCount + 1;
    entry.session = { ...entry.session, messages, messageCount, version: entry.session.version + 1 };
    const session = this.#slide(entry);
    const trimmedMessages = appended.length - messages.length;
    this.#publish(session, { kind: "message_appended", ...this.#change(session), message: stored, messageCount, trimmedMessages });
    return { ...writeOutcome(session), session: undefined, message: stored, messageCount, trimmedMessages };
  }

  async touch(sessionId: string): Promise<{ lastActivity: number; expiresAt: number }> {
    const session = this.#touched(this.#require(sessionId));
    return { lastActivity: session.lastActivity, expiresAt: session.expiresAt };
  }

  async delete(sessionId: string): Promise<boolean> {
    return this.#memo.once(sessionId, () => {
      const entry = this.#live(sessionId);
      if (!entry) return false;
      this.#remove(entry.session);
      this.#publish(entry.session, { kind: "deleted", version: entry.session.version + 1 });
      return true;
    });
  }

  async acquireLock(sessionId: string, owner: string, leaseMs: number): Promise<LockRecord> {
    return this.#memo.once(sessionId, () => this.#acquireLock(sessionId, owner, leaseMs));
  }

  #acquireLock(sessionId: string, owner: string, leaseMs: number): LockRecord {
    const entry = this.#require(sessionId);
    const now = this.clock();
    if (entry.lock && entry.lock.until > now) throw new SessionLockedError(entry.lock.until);
    entry.fence += 1;
    entry.lock = { owner, until: now + leaseMs };
    this.#lockChanged(entry, "lock_acquired", { owner, fencingToken: entry.fence, expiresAt: entry.lock.until });
    return { sessionId, owner, fencingToken: entry.fence, expiresAt: entry.lock.until };
  }

  async refreshLock(sessionId: string, owner: string, fencingToken: number, leaseMs: number): Promise<LockRecord> {
    return this.#memo.once(sessionId, () => {
      const entry = this.#holder(sessionId, owner, fencingToken);
      entry.lock = { owner, until: this.clock() + leaseMs };
      this.#lockChanged(entry, "lock_refreshed", { owner, fencingToken, expiresAt: entry.lock.until });
      return { sessionId, owner, fencingToken, expiresAt: entry.lock.until };
    });
  }

  async releaseLock(sessionId: string, owner: string, fencingToken: number): Promise<number> {
    return this.#memo.once(sessionId, () => {
      const entry = this.#holder(sessionId, owner, fencingToken);
      entry.lock = undefined;
      return this.#lockChanged(entry, "lock_released", { owner, fencingToken, expiresAt: this.clock() }).lastActivity;
    });
  }

  watch(sessionId: string, options: WatchOptions): AsyncIterable<SessionEvent> {
    return watchSession(this.#topics, (id) => this.get(id), sessionId, options, this.watchLimits);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
  }

  /** A touch: slides the expiry, keeps the version, tells the watchers that asked for touches. */
  #touched(entry: Entry): SessionRecord {
    const session = this.#slide(entry);
    this.#publish(session, { kind: "touched", ...this.#change(session) });
    return session;
  }

  #lockChanged(entry: Entry, kind: "lock_acquired" | "lock_refreshed" | "lock_released", lock: LockState): SessionRecord {
    entry.session = { ...entry.session, version: entry.session.version + 1 };
    const session = this.#slide(entry);
    this.#publish(session, { kind, ...this.#change(session), lock });
    return session;
  }

  #change(session: SessionRecord): { version: number; at: number; expiresAt: number } {
    return { version: session.version, at: session.lastActivity, expiresAt: session.expiresAt };
  }

  /** Hands a write's event to its session's watchers (its size counted as the Redis store counts it: UTF-8 bytes of its JSON). */
  #publish(session: SessionRecord, event: SessionEvent): void {
    if (this.#topics.topicCount === 0) return;
    this.#topics.dispatch(session.sessionId, event, Buffer.byteLength(JSON.stringify(event)));
  }

  #holder(sessionId: string, owner: string, fencingToken: number): Entry {
    const entry = this.#require(sessionId);
    if (entry.lock?.owner !== owner || entry.fence !== fencingToken) throw new LockNotHeldError();
    return entry;
  }

  #require(sessionId: string): Entry {
    const entry = this.#live(sessionId);
    if (!entry) throw new SessionNotFoundError(sessionId);
    return entry;
  }

  #live(sessionId: string): Entry | undefined {
    const entry = this.#sessions.get(sessionId);
    if (entry && entry.session.expiresAt <= this.clock()) {
      this.#remove(entry.session);
      return undefined;
    }
    return entry;
  }

  #slide(entry: Entry): SessionRecord {
    const now = this.clock();
    const expiresAt = Math.min(now + this.policy.idleTtlMs, entry.session.absoluteExpiresAt ?? Infinity);
    entry.session = { ...entry.session, lastActivity: now, expiresAt };
    return entry.session;
  }

  #remove(session: SessionRecord): void {
    this.#sessions.delete(session.sessionId);
    const key = indexKey(session.userId, session.clientId);
    if (this.#clientIndex.get(key) === session.sessionId) this.#clientIndex.delete(key);
  }

  #sweep(): void {
    for (const id of this.#sessions.keys()) this.#live(id);
  }
}

function writeOutcome(session: SessionRecord): WriteOutcome {
  return { version: session.version, lastActivity: session.lastActivity, expiresAt: session.expiresAt, session: undefined };
}

function indexKey(userId: string, clientId: string): string {
  return `${userId}\u0000${clientId}`;
}
