import type { NewSession, SessionPolicy, SessionRecord } from "../domain/session.js";

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
  };
}

/** A new session's fields as script arguments: id, user, client, case, then context key/value pairs. */
export function newSessionArgs(input: NewSession, sessionId: string): string[] {
  return [sessionId, input.userId, input.clientId, input.caseId, ...Object.entries(input.context).flat()];
}
