import { LockNotHeldError, SessionLockedError, SessionNotFoundError } from "../domain/errors.js";
import { newSessionId } from "../domain/session-id.js";
import type { LockRecord, MessageRecord, NewSession, SessionChanges, SessionPolicy, SessionRecord } from "../domain/session.js";
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
 * as the Redis store honours them (IdempotencyMemo).
 */
export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Entry>();
  readonly #clientIndex = new Map<string, string>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #memo: IdempotencyMemo;

  constructor(
    private readonly policy: SessionPolicy,
    private readonly clock: () => number = Date.now,
  ) {
    this.#memo = new IdempotencyMemo(clock);
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
    if (existing) return { session: this.#slide(existing), resumed: true };
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

  async update(sessionId: string, changes: SessionChanges): Promise<SessionRecord> {
    return this.#memo.once(
      sessionId,
      () => this.#update(sessionId, changes),
      () => this.#require(sessionId).session,
    );
  }

  #update(sessionId: string, changes: SessionChanges): SessionRecord {
    const entry = this.#require(sessionId);
    const context = contextAfter(entry.session.context, changes);
    checkContext(contextUsage(entry.session.context), contextUsage(context), this.policy.limits);
    entry.session = { ...entry.session, caseId: changes.caseId ?? entry.session.caseId, context };
    return this.#slide(entry);
  }

  async appendMessage(sessionId: string, message: Omit<MessageRecord, "timestamp">): Promise<SessionRecord> {
    return this.#memo.once(
      sessionId,
      () => this.#append(sessionId, message),
      () => this.#require(sessionId).session,
    );
  }

  #append(sessionId: string, message: Omit<MessageRecord, "timestamp">): SessionRecord {
    const entry = this.#require(sessionId);
    const appended = [...entry.session.messages, { ...message, timestamp: this.clock() }];
    const messages = keptMessages(appended, this.policy.maxMessages, this.policy.limits);
    entry.session = { ...entry.session, messages, messageCount: entry.session.messageCount + 1 };
    return this.#slide(entry);
  }

  async touch(sessionId: string): Promise<{ lastActivity: number; expiresAt: number }> {
    const session = this.#slide(this.#require(sessionId));
    return { lastActivity: session.lastActivity, expiresAt: session.expiresAt };
  }

  async delete(sessionId: string): Promise<boolean> {
    return this.#memo.once(sessionId, () => {
      const entry = this.#live(sessionId);
      if (!entry) return false;
      this.#remove(entry.session);
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
    this.#slide(entry);
    return { sessionId, owner, fencingToken: entry.fence, expiresAt: entry.lock.until };
  }

  async refreshLock(sessionId: string, owner: string, fencingToken: number, leaseMs: number): Promise<LockRecord> {
    return this.#memo.once(sessionId, () => {
      const entry = this.#holder(sessionId, owner, fencingToken);
      entry.lock = { owner, until: this.clock() + leaseMs };
      this.#slide(entry);
      return { sessionId, owner, fencingToken, expiresAt: entry.lock.until };
    });
  }

  async releaseLock(sessionId: string, owner: string, fencingToken: number): Promise<number> {
    return this.#memo.once(sessionId, () => {
      const entry = this.#holder(sessionId, owner, fencingToken);
      entry.lock = undefined;
      return this.#slide(entry).lastActivity;
    });
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
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

function indexKey(userId: string, clientId: string): string {
  return `${userId}\u0000${clientId}`;
}
