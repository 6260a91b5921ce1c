import { currentCallScope } from "@faultmaven/call-scope";
import { UnavailableError } from "@faultmaven/errors";
import { STALE_PLAN, type SingleKeyCalls } from "@faultmaven/redis";
import { newSessionId } from "../domain/session-id.js";
import type { SessionPolicy, SessionRecord } from "../domain/session.js";
import { type CreateCall, type CreateReply, type CreateResult, createResultOf, newSessionArgs } from "./create-call.js";
import { sessionKeys } from "./keys.js";
import { CLIENT_INDEX_CLAIM, USER_INDEX_ADD_OR_RENEW } from "./scripts/index-scripts.js";
import { CREATE } from "./scripts/session-scripts.js";
import { USER_INDEX_LIMIT } from "./session-steps.js";

/** Bounded retries of create-or-resume when concurrent creators race for one client index. */
const CREATE_ATTEMPTS = 5;

/** A client index value no session id can be: a claim expecting it can only replay a recorded reply. */
const NO_SESSION = "-";

/** Resumes a session by id (slides its TTL, renews its indexes), without recording; undefined when it is gone. */
export type Resume = (sessionId: string) => Promise<SessionRecord | undefined>;

/**
 * CreateSession on Redis Cluster, where the session, its client index and
 * its user index sit in different slots: single-key scripts in an order
 * that keeps an index entry pointing at a complete session (or a dead one).
 * Claiming the client index (CLIENT_INDEX_CLAIM) commits the call and is its
 * idempotent step: a retry with the same key first asks it for the recorded
 * reply and, when there is one, redoes no step. A call that fails before
 * its claim can leave a new session that no index names (invisible: nobody
 * learnt its id), living out its idle TTL; one that fails after it answers
 * OK, the user index entry being upkeep (Cluster's weaker guarantee,
 * documented in docs/key-schema.md).
 */
export async function createInSteps(calls: SingleKeyCalls, call: CreateCall, policy: SessionPolicy, resume: Resume): Promise<CreateResult> {
  const { input } = call;
  const indexKey = sessionKeys.clientIndex(input.userId, input.clientId);
  if (currentCallScope()?.idempotency) {
    const recorded = await calls.script(CLIENT_INDEX_CLAIM, indexKey, [NO_SESSION, NO_SESSION, 0, ""]);
    if (recorded !== STALE_PLAN) return finish(calls, recorded as CreateReply, call, policy);
  }
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const existingId = await calls.client.get(indexKey);
    if (existingId !== null) {
      const live = await resume(existingId);
      if (live && live.userId === input.userId && live.clientId === input.clientId) {
        // Confirmed (and recorded) while the index still names it.
        const reply = await calls.script(CLIENT_INDEX_CLAIM, indexKey, [existingId, existingId, 0, ""]);
        if (reply === STALE_PLAN) continue;
        const confirmed = (reply as CreateReply)[0] === "resumed" && (reply as CreateReply)[1] === existingId;
        return confirmed ? { session: live, resumed: true } : finish(calls, reply as CreateReply, call, policy);
      }
    }
    // New sessions are written before they are indexed.
    const sessionId = newSessionId();
    const args = [policy.idleTtlMs, policy.maxLifetimeMs, ...newSessionArgs(input, sessionId)];
    const [now, ttl] = (await calls.script(CREATE, sessionKeys.session(sessionId), args)) as [number, number];
    const reply = await calls.script(CLIENT_INDEX_CLAIM, indexKey, [existingId ?? "", sessionId, ttl, now]);
    const ours = reply !== STALE_PLAN && (reply as CreateReply)[0] === "created" && (reply as CreateReply)[3] === sessionId;
    // Another creator won the index (or an earlier attempt with this key did): drop ours. A plain DEL is
    // harmless even when it runs late: no index names this session and no caller knows its id.
    if (!ours) await calls.client.del(sessionKeys.session(sessionId));
    if (reply !== STALE_PLAN) return finish(calls, reply as CreateReply, call, policy);
  }
  // Only lost races against sessions dying at that very moment get here: worth a retry.
  throw new UnavailableError("redis");
}

/** The result of a claim's reply; a created session is added to its user index (again, on a retry). */
async function finish(calls: SingleKeyCalls, reply: CreateReply, call: CreateCall, policy: SessionPolicy): Promise<CreateResult> {
  if (reply[0] === "created") {
    const [, now, ttl, sessionId] = reply;
    // Upkeep after the commit: its failure must not answer an error for a session that exists. A retry
    // with the same key adds it again; a re-add of a since-deleted id is pruned by ListSessions.
    await calls
      .script(USER_INDEX_ADD_OR_RENEW, sessionKeys.userIndex(call.input.userId), [now, sessionId, ttl, USER_INDEX_LIMIT])
      .catch(() => undefined);
  }
  return createResultOf(reply, call.input, policy);
}
