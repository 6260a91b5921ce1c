import { currentCallScope } from "@faultmaven/call-scope";
import { ReplyError } from "ioredis";
import { callRedis, type MultiKeyStep, pairsToHash, type RedisClient, type RedisMode, sharesScripts } from "@faultmaven/redis";
import { LockNotHeldError, SessionLimitError, type SessionLimitName, SessionLockedError, SessionNotFoundError } from "../domain/errors.js";
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
  checkNewContext,
  LIST_PAGE_MAX_BYTES,
  messageTooLarge,
  metadataJson,
  pageThatFits,
  sessionBytes,
} from "../domain/session-limits.js";
import type { CreateCall, CreateOutcome, CreateResult } from "./create-call.js";
import { createStep } from "./create-step.js";
import {
  APPEND,
  APPEND_ANSWERING_SESSION,
  DELETE,
  FIND_BY_CLIENT,
  GET_SESSION,
  LOCK_ACQUIRE,
  LOCK_RENEW_OR_RELEASE,
  TOUCH,
  UPDATE,
  UPDATE_ANSWERING_SESSION,
} from "./scripts/session-scripts.js";
import { sessionKeys } from "./keys.js";
import { publishCommand } from "./session-channel.js";
import { parseSession } from "./session-hash.js";
import { SessionIdentities } from "./session-identities.js";
import { type IndexUpkeep, type SessionCall, sessionKeysOf, sessionStep } from "./session-steps.js";
import { withoutIdempotencyKey } from "./without-idempotency-key.js";
import type { SessionEvent, WatchOptions } from "../domain/session-event.js";
import { DEFAULT_WATCH_LIMITS, type WatchLimits } from "../watch/watch-limits.js";
import { SessionWatches } from "./session-watches.js";

/** The limits a write script can refuse with. */
type LimitName = SessionLimitName | "message_bytes";

/** A lock script's reply: {status, fence or until, until, ttl, user_id, client_id}. */
type LockReply = [string, number, number?, number?, string?, string?];

/** The whole session as a script answers it: HGETALL and the stored messages. */
type SessionReply = [string[], string[]];

/** APPEND's reply: {now, ttl, seq, version, dropped, user_id, client_id}, then the session when asked for. */
type AppendReply = [number, number, number, number, number, string, string, ...([] | SessionReply)];

/** UPDATE's reply: {now, ttl, version, user_id, client_id}, then the session when asked for. */
type UpdateReply = [number, number, number, string, string, ...([] | SessionReply)];

/**
 * Sessions in Redis. CreateSession is one MultiKeyStep (create-step.ts):
 * one atomic script over the new or resumed session and both indexes on
 * standalone and Sentinel, single-key steps on Cluster. A session is its
 * hash and its message list (one slot; see key-schema.ts): reads are one
 * read script over both. Every other write is one script on the session's
 * two keys, run as a MultiKeyStep with the session's
 * index upkeep: where keys may share a script (standalone, Sentinel) and the
 * session's user and client are known, the same script also renews both
 * indexes, declared in KEYS (one round trip); otherwise (Redis Cluster, or a
 * session this process has not seen yet) the indexes are renewed by
 * follow-up single-key scripts. Every write of a call is a LuaScript (with
 * the not-after bound), except plain commands that are harmless when late
 * (see their comments); the script that is the call's effect records the
 * call's idempotency key (see scripts/session-scripts.ts). Appends and
 * updates answer their new counters, the whole session only when asked.
 */
export class RedisSessionStore implements SessionStore {
  readonly #identities = new SessionIdentities();
  readonly #touch = sessionStep(TOUCH, (reply) => {
    const r = reply as [number, number, string, string, string] | null;
    return r ? { ttl: r[1], userId: r[3], clientId: r[4] } : undefined;
  });
  readonly #append = sessionStep(APPEND, idsAt(5));
  readonly #appendAnsweringSession = sessionStep(APPEND_ANSWERING_SESSION, idsAt(5));
  readonly #update = sessionStep(UPDATE, idsAt(3));
  readonly #updateAnsweringSession = sessionStep(UPDATE_ANSWERING_SESSION, idsAt(3));
  readonly #create: MultiKeyStep<CreateCall, CreateResult>;
  readonly #delete = sessionStep(DELETE, (reply) => {
    const r = reply as [string, string, string] | null;
    return r ? { ttl: 0, userId: r[1], clientId: r[2] } : undefined;
  });
  readonly #lockAcquire = sessionStep(LOCK_ACQUIRE, lockUpkeep);
  readonly #lockRenewOrRelease = sessionStep(LOCK_RENEW_OR_RELEASE, lockUpkeep);

  readonly #watches: SessionWatches;

  constructor(
    private readonly client: RedisClient,
    private readonly policy: SessionPolicy,
    private readonly mode: RedisMode,
    watchLimits: WatchLimits = DEFAULT_WATCH_LIMITS,
  ) {
    this.#watches = new SessionWatches(client, mode, (sessionId) => this.get(sessionId), watchLimits);
    // On Cluster, a resume is a step of CreateSession, not its effect: the claim records the call.
    this.#create = createStep(policy, (sessionId) =>
      withoutIdempotencyKey(async () => (await this.#write(sessionId, {}, { returnSession: true }))?.session),
    );
  }

  createOrResume(input: NewSession): Promise<CreateOutcome> {
    return callRedis(async () => {
      checkNewContext(input.context, this.policy.limits);
      const call: CreateCall = { input, sessionId: newSessionId(), plans: 0 };
      const result = await this.#create.run(this.client, this.mode, call);
      // A resume's reply names the session without its fields (so a retry's record stays small): read it.
      if (!("resumedId" in result)) return { session: this.#seen(result.session), resumed: result.resumed };
      return { session: (await this.get(result.resumedId)) ?? notFound(result.resumedId), resumed: true };
    });
  }

  get(sessionId: string): Promise<SessionRecord | undefined> {
    return callRedis(async () =>
      this.#session(sessionId, (await GET_SESSION.run(this.client, sessionKeysOf(sessionId), [])) as SessionReply | null),
    );
  }

  findByClient(userId: string, clientId: string): Promise<SessionRecord | undefined> {
    return callRedis(async () => {
      const session = await this.#findByClient(userId, clientId);
      return session?.userId === userId && session.clientId === clientId ? session : undefined;
    });
  }

  /**
   * One round trip when this process has seen the pair's session (the read
   * script checks the index still names it), two otherwise: the index, then
   * the session. On Cluster the index and the session sit in different slots.
   */
  async #findByClient(userId: string, clientId: string): Promise<SessionRecord | undefined> {
    const indexKey = sessionKeys.clientIndex(userId, clientId);
    const guess = sharesScripts(this.mode) ? this.#identities.sessionOf(userId, clientId) : undefined;
    if (guess === undefined) {
      const sessionId = await this.client.get(indexKey);
      return sessionId === null ? undefined : this.get(sessionId);
    }
    const reply = (await FIND_BY_CLIENT.run(this.client, [indexKey, ...sessionKeysOf(guess)], [guess])) as
      | ["found", string[], string[]]
      | ["moved", string]
      | null;
    if (reply === null) return undefined;
    return reply[0] === "found" ? this.#session(guess, [reply[1], reply[2]]) : this.get(reply[1]);
  }

  listByUser(userId: string, offset: number, limit: number): Promise<SessionPage> {
    return callRedis(async () => {
      const indexKey = sessionKeys.userIndex(userId);
      // One extra id tells whether another page exists.
      const ids = await this.client.zrevrange(indexKey, offset, offset + limit);
      const candidates = ids.slice(0, limit);
      // The byte counters say which sessions are worth reading for a page of
      // LIST_PAGE_MAX_BYTES; what was read is measured again (they may have grown).
      const counters = await Promise.all(candidates.map((id) => this.client.hmget(sessionKeys.session(id), "ctx_bytes", "msg_bytes")));
      const counted = counters.map(([context, messages]) => Number(context ?? 0) + Number(messages ?? 0));
      const page = candidates.slice(0, pageThatFits(counted, LIST_PAGE_MAX_BYTES));
      const read = await Promise.all(page.map((id) => this.get(id)));
      const live: SessionRecord[] = [];
      const dead: string[] = [];
      page.forEach((id, i) => {
        const session = read[i];
        if (session?.userId === userId) live.push(session);
        else dead.push(id);
      });
      // Expired sessions leave their ids behind; prune them as we meet them. A plain ZREM is harmless
      // even if it runs late: it removes ids whose sessions are gone, and session ids are never reused.
      if (dead.length > 0) await this.client.zrem(indexKey, ...dead);
      const sessions = live.slice(0, pageThatFits(live.map(sessionBytes), LIST_PAGE_MAX_BYTES));
      // With the dead ids gone, the next page starts right after the sessions returned.
      const more = ids.length > limit || page.length < candidates.length || sessions.length < live.length;
      return { sessions, nextOffset: more ? offset + sessions.length : undefined };
    });
  }

  update(sessionId: string, changes: SessionChanges, options: WriteOptions = {}): Promise<WriteOutcome> {
    return callRedis(async () => (await this.#write(sessionId, changes, options)) ?? notFound(sessionId));
  }

  appendMessage(sessionId: string, message: Omit<MessageRecord, "timestamp">, options: WriteOptions = {}): Promise<AppendOutcome> {
    return callRedis(async () => {
      // The script adds the timestamp from the Redis clock and stores the message as storedMessage does.
      const { role, content, metadata } = message;
      const args = [this.policy.idleTtlMs, this.policy.maxMessages, role, metadataJson(metadata), content, this.policy.limits.messageBytes];
      const step = options.returnSession ? this.#appendAnsweringSession : this.#append;
      const reply = (await this.#run(step, sessionId, args).catch(refusal)) as AppendReply | null;
      const written = (timestamp: number) => ({ message: { role, content, metadata, timestamp } });
      if (!reply) {
        const session = (await this.#retriedAcrossUpgrade(sessionId)) ?? notFound(sessionId);
        return { ...written(session.lastActivity), ...outcomeOf(session), messageCount: session.messageCount, trimmedMessages: 0 };
      }
      const [now, ttl, messageCount, version, trimmedMessages, userId, clientId, hash, stored] = reply;
      this.#identities.remember(sessionId, { userId, clientId });
      // A retry of a call that asked for the session answers it as it is now: its counters come from it.
      const session = hash && this.#session(sessionId, [hash, stored!]);
      if (session) return { ...written(now), ...outcomeOf(session), messageCount: session.messageCount, trimmedMessages };
      return { ...written(now), messageCount, trimmedMessages, version, lastActivity: now, expiresAt: now + ttl, session: undefined };
    });
  }

  touch(sessionId: string): Promise<{ lastActivity: number; expiresAt: number }> {
    return callRedis(async () => {
      const reply = (await this.#run(this.#touch, sessionId, [this.policy.idleTtlMs])) as [number, number, string, string, string] | null;
      if (!reply) notFound(sessionId);
      const [now, ttl, , userId, clientId] = reply;
      this.#identities.remember(sessionId, { userId, clientId });
      return { lastActivity: now, expiresAt: now + ttl };
    });
  }

  delete(sessionId: string): Promise<boolean> {
    return callRedis(async () => {
      const reply = await this.#run(this.#delete, sessionId, []);
      this.#identities.forget(sessionId);
      return reply !== null;
    });
  }

  acquireLock(sessionId: string, owner: string, leaseMs: number): Promise<LockRecord> {
    return callRedis(async () => {
      const reply = (await this.#run(this.#lockAcquire, sessionId, [this.policy.idleTtlMs, owner, leaseMs])) as LockReply | null;
      if (!reply) notFound(sessionId);
      if (reply[0] === "locked") throw new SessionLockedError(reply[1]);
      const [, fencingToken, expiresAt] = reply;
      return { sessionId, owner, fencingToken, expiresAt: expiresAt! };
    });
  }

  refreshLock(sessionId: string, owner: string, fencingToken: number, leaseMs: number): Promise<LockRecord> {
    return callRedis(async () => {
      const expiresAt = await this.#renewOrRelease(sessionId, owner, fencingToken, leaseMs);
      return { sessionId, owner, fencingToken, expiresAt };
    });
  }

  releaseLock(sessionId: string, owner: string, fencingToken: number): Promise<number> {
    return callRedis(() => this.#renewOrRelease(sessionId, owner, fencingToken, 0));
  }

  watch(sessionId: string, options: WatchOptions): AsyncIterable<SessionEvent> {
    return this.#watches.watch(sessionId, options);
  }

  /** Watchers and watched sessions in this process. */
  get watchCounts(): { watchers: number; sessions: number } {
    return this.#watches.counts;
  }

  async close(): Promise<void> {
    this.#watches.close();
    this.client.disconnect();
  }

  async #renewOrRelease(sessionId: string, owner: string, fencingToken: number, leaseMs: number): Promise<number> {
    const args = [this.policy.idleTtlMs, owner, fencingToken, leaseMs];
    const reply = (await this.#run(this.#lockRenewOrRelease, sessionId, args)) as LockReply | null;
    if (!reply) notFound(sessionId);
    if (reply[0] !== "ok") throw new LockNotHeldError();
    return reply[2]!;
  }

  async #write(sessionId: string, changes: SessionChanges, options: WriteOptions): Promise<WriteOutcome | undefined> {
    const sets = Object.entries(changes.setContext ?? {});
    const replace = changes.replaceContext ? Object.entries(changes.replaceContext) : [];
    const allSets = [...replace, ...sets];
    const removes = changes.removeContext ?? [];
    const args: (string | number)[] = [
      this.policy.idleTtlMs,
      changes.caseId === undefined ? 0 : 1,
      changes.caseId ?? "",
      changes.replaceContext ? 1 : 0,
      allSets.length,
      ...allSets.flat(),
      removes.length,
      ...removes,
      this.policy.limits.contextEntries,
      this.policy.limits.contextBytes,
    ];
    const step = options.returnSession ? this.#updateAnsweringSession : this.#update;
    const reply = (await this.#run(step, sessionId, args).catch(refusal)) as UpdateReply | null;
    if (!reply) {
      const session = await this.#retriedAcrossUpgrade(sessionId);
      return session && outcomeOf(session);
    }
    const [now, ttl, version, userId, clientId, hash, stored] = reply;
    this.#identities.remember(sessionId, { userId, clientId });
    const session = hash && this.#session(sessionId, [hash, stored!]);
    return session ? outcomeOf(session) : { version, lastActivity: now, expiresAt: now + ttl, session: undefined };
  }

  /**
   * A write script answers nil for a session that is gone, and also for a
   * retry whose first attempt ran on the version before the message list
   * (its idempotency record holds no reply). That retry's change was made
   * once: it is answered with the session as it is now, as that version did.
   */
  async #retriedAcrossUpgrade(sessionId: string): Promise<SessionRecord | undefined> {
    return currentCallScope()?.idempotency ? this.get(sessionId) : undefined;
  }

  /** Runs a session step, giving it the session's identity when this process knows it. */
  #run(step: MultiKeyStep<SessionCall, unknown>, sessionId: string, args: readonly (string | number)[]): Promise<unknown> {
    const withPublish = [...args, sessionId, publishCommand(this.mode)];
    return step.run(this.client, this.mode, { sessionId, identity: this.#identities.get(sessionId), args: withPublish });
  }

  /** The session a script answered (HGETALL, stored messages), remembered; undefined for nil. */
  #session(sessionId: string, reply: SessionReply | null): SessionRecord | undefined {
    return this.#seen(reply ? parseSession(sessionId, pairsToHash(reply[0]), reply[1], this.policy) : undefined);
  }

  /** Remembers who a session belongs to, so its next script can name its indexes. */
  #seen<T extends SessionRecord | undefined>(session: T): T {
    if (session) this.#identities.remember(session.sessionId, session);
    return session;
  }
}

/** The index upkeep of a write whose reply is {now, ttl, ..., user_id at `at`, client_id}. */
function idsAt(at: number): (reply: unknown) => IndexUpkeep | undefined {
  return (reply) => {
    const r = reply as unknown[] | null;
    return r ? { ttl: r[1] as number, userId: r[at] as string, clientId: r[at + 1] as string } : undefined;
  };
}

/** A write's outcome read from the session it answered. */
function outcomeOf(session: SessionRecord): WriteOutcome {
  return { version: session.version, lastActivity: session.lastActivity, expiresAt: session.expiresAt, session };
}

function lockUpkeep(reply: unknown): IndexUpkeep | undefined {
  const r = reply as LockReply | null;
  return r?.[0] === "ok" ? { ttl: r[3]!, userId: r[4]!, clientId: r[5]! } : undefined;
}

/** Turns a write script's `LIMIT name would_be max` error into the limit's error; any other error passes through. */
function refusal(error: unknown): never {
  const match = error instanceof ReplyError ? /^LIMIT (\w+) (\d+) (\d+)$/.exec((error as Error).message) : null;
  if (match === null) throw error;
  const [, name, wouldBe, max] = match as unknown as [string, LimitName, string, string];
  if (name === "message_bytes") throw messageTooLarge(Number(wouldBe), Number(max));
  throw new SessionLimitError(name, Number(wouldBe), Number(max));
}

function notFound(sessionId: string): never {
  throw new SessionNotFoundError(sessionId);
}
