import { DeadlineExceededError, UnavailableError } from "@faultmaven/errors";

/**
 * The failure of a Cluster write's step after an earlier step took effect
 * (a save's COMMIT_METADATA, a delete's or case action's first removal):
 * part of the write is done, so never "certainly not applied" (the content
 * must stay), but UNAVAILABLE with reason OUTCOME_UNKNOWN, so the caller
 * retries with its idempotency key, which runs the remaining steps again.
 * The original failure is kept one level down, so neverReachedRedis, which
 * looks at the direct cause, does not take a late step for an unsent one.
 */
export function failedPartWay(error: unknown, done: string): unknown {
  // The call's deadline ended it: the caller is gone, and DEADLINE_EXCEEDED claims nothing either way.
  if (error instanceof DeadlineExceededError) return error;
  const cause = new Error(`${done}; a later step failed`, { cause: error });
  return new UnavailableError("redis", { cause, outcomeUnknown: true });
}
