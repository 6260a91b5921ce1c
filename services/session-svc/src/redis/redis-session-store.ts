import { UnavailableError } from "@faultmaven/errors";
import { callRedis, pairsToHash, type RedisClient, type RedisMode } from "@faultmaven/redis";
import { LockNotHeldError, SessionLockedError, SessionNotFoundError } from "../domain/errors.js";
import { newSessionId } from "../domain/session-id.js";
import type { LockRecord, MessageRecord, NewSession, SessionChanges, SessionPolicy, SessionRecord } from "../domain/session.js";
import type { SessionPage, SessionStore } from "../domain/session-store.js";
import { INDEX_RENEW_OR_DELETE, INDEX_REPLACE, USER_INDEX_ADD_OR_RENEW } from "./scripts/index-scripts.js";
import { APPEND, CREATE, DELETE, LOCK_ACQUIRE, LOCK_RENEW_OR_RELEASE, TOUCH, UPDATE } from "./scripts/session-scripts.js";
import { sessionKeys } from "./keys.js";
import { parseSessionHash } from "./session-hash.js";

/** How many sessions a user index keeps (newest first); older ones drop out of ListSessions. */
const USER_INDEX_LIMIT = 1000;
/** A lock script's reply: {status, fence or until, until, ttl, user_id, client_id}. */
type LockReply = [string, number, number?, number?, string?, string?];
/** Bounded retries of create-or-resume when concurrent creators race for one client index. */
const CREATE_ATTEMPTS = 5;

/**
 * Sessions in Redis. Hot calls (get, touch, append, update, lock) are one
 * script or command on the session key: one round trip on standalone and
 * Sentinel, where the script also renews the client and user indexes. In
 * Cluster mode those indexes sit in other slots, so they are renewed by
 * follow-up single-key calls.
 */
export class RedisSessionStore implements SessionStore {
  readonly #derive: "0" | "1";

  constructor(
    private readonly client: RedisClient,
    private readonly policy: SessionPolicy,
    mode: RedisMode,
  ) {
    this.#derive = mode === "cluster" ? "0" : "1";
  }

  createOrResume(input: NewSession): Promise<{ session: SessionRecord; resumed: boolean }> {
    return callRedis(async () => {
      const indexKey = sessionKeys.clientIndex(input.userId, input.clientId);
      for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
        const existingId = await this.client.get(indexKey);
        if (existingId !== null) {
          const live = await this.#update(existingId, {});
          if (live && live.userId === input.userId && live.clientId === input.clientId) {
            return { session: live, resumed: true };
          }
        }
        // New sessions are written before they are indexed, so an index
        // entry always points at a complete session (or a dead one).
        const created = await this.#writeNew(input);
        const ttl = created.expiresAt - created.lastActivity;
        const claimed =
          existingId === null
            ? (await this.client.set(indexKey, created.sessionId, "PX", ttl, "NX")) === "OK"
            : (await INDEX_REPLACE.run(this.client, [indexKey], [existingId, created.sessionId, ttl])) === 1;
        if (claimed) {
          await USER_INDEX_ADD_OR_RENEW.run(
            this.client,
            [sessionKeys.userIndex(input.userId)],
            [created.createdAt, created.sessionId, ttl, USER_INDEX_LIMIT],
          );
          return { session: created, resumed: false };
        }
        // Another creator won the index: drop ours and resume theirs.
        await this.client.del(sessionKeys.session(created.sessionId));
      }
      // Only lost races against sessions dying at that very moment get here: worth a retry.
      throw new UnavailableError("redis");
    });
  }

  get(sessionId: string): Promise<SessionRecord | undefined> {
    return callRedis(async () => parseSessionHash(await this.client.hgetall(sessionKeys.session(sessionId)), this.policy));
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
      const page = ids.slice(0, limit);
      const hashes = await Promise.all(page.map((id) => this.client.hgetall(sessionKeys.session(id))));
      const sessions: SessionRecord[] = [];
      const dead: string[] = [];
      page.forEach((id, i) => {
        const session = parseSessionHash(hashes[i]!, this.policy);
        if (session?.userId === userId) sessions.push(session);
        else dead.push(id);
      });
      // Expired sessions leave their ids behind; prune them as we meet them.
      if (dead.length > 0) await this.client.zrem(indexKey, ...dead);
      return { sessions, nextOffset: ids.length > limit ? offset + limit - dead.length : undefined };
    });
  }

  update(sessionId: string, changes: SessionChanges): Promise<SessionRecord> {
    return callRedis(async () => (await this.#update(sessionId, changes)) ?? notFound(sessionId));
  }

  appendMessage(sessionId: string, message: Omit<MessageRecord, "timestamp">): Promise<SessionRecord> {
    return callRedis(async () => {
      const json = JSON.stringify({ ...message, timestamp: Date.now() });
      const args = [this.policy.idleTtlMs, this.#derive, this.policy.maxMessages, json];
      const reply = await APPEND.run(this.client, [sessionKeys.session(sessionId)], args);
      return (await this.#afterWrite(reply)) ?? notFound(sessionId);
    });
  }

  touch(sessionId: string): Promise<{ lastActivity: number; expiresAt: number }> {
    return callRedis(async () => {
      const reply = (await TOUCH.run(this.client, [sessionKeys.session(sessionId)], [this.policy.idleTtlMs, this.#derive])) as
        | [number, number, string, string, string]
        | null;
      if (!reply) notFound(sessionId);
      const [now, ttl, id, userId, clientId] = reply;
      await this.#renewSatellites(id, userId, clientId, ttl);
      return { lastActivity: now, expiresAt: now + ttl };
    });
  }

  delete(sessionId: string): Promise<boolean> {
    return callRedis(async () => {
      const reply = (await DELETE.run(this.client, [sessionKeys.session(sessionId)], [this.#derive])) as [string, string, string] | null;
      if (!reply) return false;
      if (this.#derive === "0") {
        const [id, userId, clientId] = reply;
        await INDEX_RENEW_OR_DELETE.run(this.client, [sessionKeys.clientIndex(userId, clientId)], [id, 0]);
        await this.client.zrem(sessionKeys.userIndex(userId), id);
      }
      return true;
    });
  }

  acquireLock(sessionId: string, owner: string, leaseMs: number): Promise<LockRecord> {
    return callRedis(async () => {
      const key = sessionKeys.session(sessionId);
      const reply = (await LOCK_ACQUIRE.run(this.client, [key], [this.policy.idleTtlMs, this.#derive, owner, leaseMs])) as LockReply | null;
      if (!reply) notFound(sessionId);
      if (reply[0] === "locked") throw new SessionLockedError(reply[1]);
      const [, fencingToken, expiresAt, ttl, userId, clientId] = reply;
      await this.#renewSatellites(sessionId, userId!, clientId!, ttl!);
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

  async close(): Promise<void> {
    this.client.disconnect();
  }

  async #renewOrRelease(sessionId: string, owner: string, fencingToken: number, leaseMs: number): Promise<number> {
    const key = sessionKeys.session(sessionId);
    const args = [this.policy.idleTtlMs, this.#derive, owner, fencingToken, leaseMs];
    const reply = (await LOCK_RENEW_OR_RELEASE.run(this.client, [key], args)) as LockReply | null;
    if (!reply) notFound(sessionId);
    if (reply[0] !== "ok") throw new LockNotHeldError();
    const [, , until, ttl, userId, clientId] = reply;
    await this.#renewSatellites(sessionId, userId!, clientId!, ttl!);
    return until!;
  }

  async #update(sessionId: string, changes: SessionChanges): Promise<SessionRecord | undefined> {
    const sets = Object.entries(changes.setContext ?? {});
    const replace = changes.replaceContext ? Object.entries(changes.replaceContext) : [];
    const allSets = [...replace, ...sets];
    const removes = changes.removeContext ?? [];
    const args: (string | number)[] = [
      this.policy.idleTtlMs,
      this.#derive,
      changes.caseId === undefined ? 0 : 1,
      changes.caseId ?? "",
      changes.replaceContext ? 1 : 0,
      allSets.length,
      ...allSets.flat(),
      removes.length,
      ...removes,
    ];
    return this.#afterWrite(await UPDATE.run(this.client, [sessionKeys.session(sessionId)], args));
  }

  async #writeNew(input: NewSession): Promise<SessionRecord> {
    const sessionId = newSessionId();
    const args = [
      this.policy.idleTtlMs,
      this.#derive,
      this.policy.maxLifetimeMs,
      sessionId,
      input.userId,
      input.clientId,
      input.caseId,
      ...Object.entries(input.context).flat(),
    ];
    const [now, ttl] = (await CREATE.run(this.client, [sessionKeys.session(sessionId)], args)) as [number, number];
    return {
      sessionId,
      userId: input.userId,
      clientId: input.clientId,
      caseId: input.caseId,
      createdAt: now,
      lastActivity: now,
      expiresAt: now + ttl,
      absoluteExpiresAt: this.policy.maxLifetimeMs > 0 ? now + this.policy.maxLifetimeMs : undefined,
      messages: [],
      messageCount: 0,
      context: { ...input.context },
    };
  }

  /** Parses a script's HGETALL reply and, in Cluster mode, renews the indexes. */
  async #afterWrite(reply: unknown): Promise<SessionRecord | undefined> {
    const session = reply ? parseSessionHash(pairsToHash(reply), this.policy) : undefined;
    if (session) {
      await this.#renewSatellites(session.sessionId, session.userId, session.clientId, session.expiresAt - session.lastActivity);
    }
    return session;
  }

  async #renewSatellites(sessionId: string, userId: string, clientId: string, ttl: number): Promise<void> {
    if (this.#derive === "1") return;
    await Promise.all([
      INDEX_RENEW_OR_DELETE.run(this.client, [sessionKeys.clientIndex(userId, clientId)], [sessionId, ttl]),
      USER_INDEX_ADD_OR_RENEW.run(this.client, [sessionKeys.userIndex(userId)], ["", "", ttl, USER_INDEX_LIMIT]),
    ]);
  }
}

function notFound(sessionId: string): never {
  throw new SessionNotFoundError(sessionId);
}
