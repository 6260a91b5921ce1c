import { FailedPreconditionError, LimitExceededError, NotFoundError } from "@faultmaven/errors";

/** The session does not exist or has expired. */
export class SessionNotFoundError extends NotFoundError {
  constructor(sessionId: string) {
    super("Session", sessionId, "session not found or expired");
  }
}

/** Another owner holds the session lock until `expiresAt`. */
export class SessionLockedError extends FailedPreconditionError {
  constructor(readonly expiresAt: number) {
    super("session is locked by another owner", "SESSION_LOCKED", {
      lock_expires_at: new Date(expiresAt).toISOString(),
    });
  }
}

/** Refresh or release by someone who does not hold the lock (or with a stale fencing token). */
export class LockNotHeldError extends FailedPreconditionError {
  constructor() {
    super("the session lock is not held by this owner and fencing token", "LOCK_NOT_HELD");
  }
}

/** Names of the per-session limits a stored write can run into (see session-limits.ts). */
export type SessionLimitName = "context_entries" | "context_bytes";

/** A write that would take the session past one of its limits; nothing was written. */
export class SessionLimitError extends LimitExceededError {
  constructor(limit: SessionLimitName, wouldBe: number, max: number) {
    super(`session.${limit}`, max, `the write would make session.${limit} ${wouldBe}; a session allows at most ${max}`);
  }
}
