import { ReplyError } from "ioredis";
import { callRedis, type MultiKeyStep, pairsToHash, type RedisClient, type RedisMode } from "@faultmaven/redis";
import { LockNotHeldError, SessionLimitError, type SessionLimitName, SessionLockedError, SessionNotFoundError } from "../domain/errors.js";
import { newSessionId } from "../domain/session-id.js";
import type { LockRecord, MessageRecord, NewSession, SessionChanges, SessionPolicy, SessionRecord } from "../domain/session.js";
import type { SessionPage, SessionStore } from "../domain/session-store.js";
import { checkNewContext, LIST_PAGE_MAX_BYTES, messageTooLarge, pageThatFits, sessionBytes } from "../domain/session-limits.js";
import type { CreateCall, CreateOutcome, CreateResult } from "./create-call.js";
import { createStep } from "./create-step.js";
import { APPEND, DELETE, LOCK_ACQUIRE, LOCK_RENEW_OR_RELEASE, TOUCH, UPDATE } from "./scripts/session-scripts.js";
import { sessionKeys } from "./keys.js";
import { publishCommand } from "./session-channel.js";
import { parseSessionHash } from "./session-hash.js";
import { SessionIdentities } from "./session-identities.js";
import { type IndexUpkeep, type SessionCall, sessionStep } from "./session-steps.js";
import { withoutIdempotencyKey } from "./without-idempotency-key.js";
import type { SessionEvent, WatchOptions } from "../domain/session-event.js";
import { DEFAULT_WATCH_LIMITS, type WatchLimits } from "../watch/watch-limits.js";
import { SessionWatches } from "./session-watches.js";

/** The limits a write script can refuse with. */
type LimitName = SessionLimitName | "message_bytes";

/** A lock script's reply: {status, fence or until, until, ttl, user_id, client_id}. */
type LockReply = [string, number, number?, number?, string?, string?];

/**
 * Sessions in Redis. CreateSession is one MultiKeyStep (create-step.ts):
 * one atomic script over the new or resumed session and both indexes on
 * standalone and Sentinel, single-key steps on Cluster. Every other write is
 * one script on the session key, run as a MultiKeyStep with the session's
 * index upkeep: where keys may share a script (standalone, Sentinel) and the
 * session's user and client are known, the same script also renews both
 * indexes, declared in KEYS (one round trip); otherwise (Redis Cluster, or a
 * session this process has not seen yet) the indexes are renewed by
 * follow-up single-key scripts. Every write of a call is a LuaScript (with
 * the not-after bound), except plain commands that are harmless when late
 * (see their comments); the script that is the call's effect records the
 * call's idempotency key (see scripts/session-scripts.ts).
 */
export class RedisSessionStore implements SessionStore {
  readonly #identities = new SessionIdentities();
  readonly #touch = sessionStep(TOUCH, (reply) => {
    const r = reply as [number, number, string, string, string] | null;
    return r ? { ttl: r[1], userId: r[3], clientId: r[4] } : undefined;
  });
  readonly #write: MultiKeyStep<SessionCall, unknown>;
  readonly #append: MultiKeyStep<SessionCall, unknown>;
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
    const hashUpkeep = (reply: unknown): IndexUpkeep | undefined => {
      const session = reply ? parseSessionHash(pairsToHash(reply), policy) : undefined;
      return session && { ttl: session.expiresAt - session.lastActivity, userId: session.userId, clientId: session.clientId };
    };
    this.#write = sessionStep(UPDATE, hashUpkeep);
    this.#append = sessionStep(APPEND, hashUpkeep);
    // On Cluster, a resume is a step of CreateSession, not its effect: the claim records the call.
    this.#create = createStep(policy, (sessionId) => withoutIdempotencyKey(() => this.#update(sessionId, {})));
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
    return callRedis(async () => this.#seen(parseSessionHash(await this.client.hgetall(sessionKeys.session(sessionId)), this.policy)));
  }

  findByClient(userId: string, clientId: string): Promise<SessionRecord | undefined> {
    return callRedis(async () => {
      const sessionId = await this.client.get(sessionKeys.clientIndex(userId, clientId));
      if (sessionId === null) return undefined;
      const session = await this.get(sessionId);
      return session?.userId === userId && session.clientId === clientId ? session : undefined;
    });
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
      const hashes = await Promise.all(page.map((id) => this.client.hgetall(sessionKeys.session(id))));
      const live: SessionRecord[] = [];
      const dead: string[] = [];
      page.forEach((id, i) => {
        const session = parseSessionHash(hashes[i]!, this.policy);
        if (session?.userId === userId) live.push(this.#seen(session));
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

  update(sessionId: string, changes: SessionChanges): Promise<SessionRecord> {
    return callRedis(async () => (await this.#update(sessionId, changes)) ?? notFound(sessionId));
  }

  appendMessage(sessionId: string, message: Omit<MessageRecord, "timestamp">): Promise<SessionRecord> {
    return callRedis(async () => {
      // The script adds the timestamp from the Redis clock.
      const json = JSON.stringify({ role: message.role, content: message.content, metadata: message.metadata });
      const args = [this.policy.idleTtlMs, this.policy.maxMessages, json, this.policy.limits.messageBytes];
      const reply = await this.#run(this.#append, sessionId, args).catch(refusal);
      return this.#parse(reply) ?? notFound(sessionId);
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

  async #update(sessionId: string, changes: SessionChanges): Promise<SessionRecord | undefined> {
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
    return this.#parse(await this.#run(this.#write, sessionId, args).catch(refusal));
  }

  /** Runs a session step, giving it the session's identity when this process knows it. */
  #run(step: MultiKeyStep<SessionCall, unknown>, sessionId: string, args: readonly (string | number)[]): Promise<unknown> {
    const withPublish = [...args, publishCommand(this.mode)];
    return step.run(this.client, this.mode, { sessionId, identity: this.#identities.get(sessionId), args: withPublish });
  }

  /** Parses a script's HGETALL reply. */
  #parse(reply: unknown): SessionRecord | undefined {
    return this.#seen(reply ? parseSessionHash(pairsToHash(reply), this.policy) : undefined);
  }

  /** Remembers who a session belongs to, so its next script can name its indexes. */
  #seen<T extends SessionRecord | undefined>(session: T): T {
    if (session) this.#identities.remember(session.sessionId, session);
    return session;
  }
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
