import { DeadlineExceededError, UnavailableError } from "@faultmaven/errors";

/**
 * The failure of a Cluster save's step after its commit (COMMIT_METADATA)
 * ran: the report is saved and visible, its remaining steps (indexes,
 * pointer, flags, the idempotency record) may not be. Never "certainly not
 * applied" (the content must stay): UNAVAILABLE with reason OUTCOME_UNKNOWN,
 * so the caller retries with its idempotency key, which finishes the save.
 * The original failure is kept one level down, so neverReachedRedis, which
 * looks at the direct cause, does not take a late step for an unsent commit.
 */
export function failedAfterCommit(error: unknown): unknown {
  // The call's deadline ended it: the caller is gone, and DEADLINE_EXCEEDED claims nothing either way.
  if (error instanceof DeadlineExceededError) return error;
  const cause = new Error("the report was committed; a later step of the save failed", { cause: error });
  return new UnavailableError("redis", { cause, outcomeUnknown: true });
}

/**
 * The failure of a Cluster delete's or case action's step after an earlier
 * step took effect: part of the write is done, so never "certainly not
 * applied" (OUTCOME_UNKNOWN); a retry runs the remaining steps again.
 */
export function failedPartWay(error: unknown): unknown {
  if (error instanceof DeadlineExceededError) return error;
  const cause = new Error("an earlier step of the write took effect; a later one failed", { cause: error });
  return new UnavailableError("redis", { cause, outcomeUnknown: true });
}
