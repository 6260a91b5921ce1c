import { UnavailableError } from "@faultmaven/errors";
import type { SingleKeyCalls } from "@faultmaven/redis";
import { newSessionId } from "../domain/session-id.js";
import type { SessionPolicy, SessionRecord } from "../domain/session.js";
import { type CreateCall, type CreateOutcome, newSessionArgs, newSessionRecord } from "./create-call.js";
import { sessionKeys } from "./keys.js";
import { INDEX_REPLACE, USER_INDEX_ADD_OR_RENEW } from "./scripts/index-scripts.js";
import { CREATE } from "./scripts/session-scripts.js";
import { USER_INDEX_LIMIT } from "./session-steps.js";

/** Bounded retries of create-or-resume when concurrent creators race for one client index. */
const CREATE_ATTEMPTS = 5;

/** Resumes a session by id (slides its TTL, renews its indexes); undefined when it is gone. */
export type Resume = (sessionId: string) => Promise<SessionRecord | undefined>;

/**
 * CreateSession on Redis Cluster, where the session, its client index and
 * its user index sit in different slots: single-key calls in an order that
 * keeps an index entry pointing at a complete session (or a dead one). A
 * call ended between them (deadline, crash) can leave a session that no
 * client index names or the user index does not list, living out its idle
 * TTL: Cluster's weaker guarantee, documented in docs/key-schema.md.
 */
export async function createInSteps(
  calls: SingleKeyCalls,
  call: CreateCall,
  policy: SessionPolicy,
  resume: Resume,
): Promise<CreateOutcome> {
  const { input } = call;
  const indexKey = sessionKeys.clientIndex(input.userId, input.clientId);
  for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
    const existingId = await calls.client.get(indexKey);
    if (existingId !== null) {
      const live = await resume(existingId);
      if (live && live.userId === input.userId && live.clientId === input.clientId) return { session: live, resumed: true };
    }
    // New sessions are written before they are indexed.
    const sessionId = newSessionId();
    const args = [policy.idleTtlMs, policy.maxLifetimeMs, ...newSessionArgs(input, sessionId)];
    const [now, ttl] = (await calls.script(CREATE, sessionKeys.session(sessionId), args)) as [number, number];
    const claimed =
      existingId === null
        ? (await calls.client.set(indexKey, sessionId, "PX", ttl, "NX")) === "OK"
        : (await calls.script(INDEX_REPLACE, indexKey, [existingId, sessionId, ttl])) === 1;
    if (claimed) {
      await calls.script(USER_INDEX_ADD_OR_RENEW, sessionKeys.userIndex(input.userId), [now, sessionId, ttl, USER_INDEX_LIMIT]);
      return { session: newSessionRecord(input, sessionId, now, ttl, policy), resumed: false };
    }
    // Another creator won the index: drop ours and resume theirs.
    await calls.client.del(sessionKeys.session(sessionId));
  }
  // Only lost races against sessions dying at that very moment get here: worth a retry.
  throw new UnavailableError("redis");
}
