import { pairsToHash } from "@faultmaven/redis";
import type { NewSession, SessionPolicy, SessionRecord } from "../domain/session.js";
import { parseSession } from "./session-hash.js";

/**
 * One CreateSession call as the create step sees it: the request and the id
 * a new session would get. `plans` and `read` carry the step's planning
 * state from one plan to the next (see create-step.ts).
 */
export interface CreateCall {
  readonly input: NewSession;
  readonly sessionId: string;
  plans: number;
  read?: Promise<string | null>;
}

/** The outcome of CreateSession: the session, and whether it already existed. */
export interface CreateOutcome {
  readonly session: SessionRecord;
  readonly resumed: boolean;
}

/**
 * What the create step answers: the outcome, or the id of the session it
 * resumed when its reply names it without its fields (the replies an
 * idempotent create records, which a retry gets again, stay small): the
 * store reads that session.
 */
export type CreateResult = CreateOutcome | { readonly resumedId: string };

/** A create reply (not 'stale_plan'), first run or replayed: a resume with or without the session (HGETALL, stored messages), or a creation. */
export type CreateReply = ["resumed", string, string[]?, string[]?] | ["created", number, number, string];

/** The result a create reply stands for: the session as created (built from the request), as resumed, or the resumed id. */
export function createResultOf(reply: CreateReply, input: NewSession, policy: SessionPolicy): CreateResult {
  if (reply[0] === "resumed") {
    const session = reply[2] && parseSession(reply[1], pairsToHash(reply[2]), reply[3] ?? [], policy);
    return session ? { session, resumed: true } : { resumedId: reply[1] };
  }
  const [, now, ttl, sessionId] = reply;
  return { session: newSessionRecord(input, sessionId, now, ttl, policy), resumed: false };
}

/** The record of a session just created at Redis time `now` with a TTL of `ttl` ms. */
export function newSessionRecord(input: NewSession, sessionId: string, now: number, ttl: number, policy: SessionPolicy): SessionRecord {
  return {
    sessionId,
    userId: input.userId,
    clientId: input.clientId,
    caseId: input.caseId,
    createdAt: now,
    lastActivity: now,
    expiresAt: now + ttl,
    absoluteExpiresAt: policy.maxLifetimeMs > 0 ? now + policy.maxLifetimeMs : undefined,
    messages: [],
    messageCount: 0,
    context: { ...input.context },
    version: 1,
  };
}

/** A new session's fields as script arguments: id, user, client, case, then context key/value pairs. */
export function newSessionArgs(input: NewSession, sessionId: string): string[] {
  return [sessionId, input.userId, input.clientId, input.caseId, ...Object.entries(input.context).flat()];
}
