import { AlreadyExistsError, FailedPreconditionError, NotFoundError, ResourceExhaustedError } from "@faultmaven/errors";

export class UserNotFoundError extends NotFoundError {
  constructor(userId: string) {
    super("User", userId, "user not found");
  }
}

export class UsernameTakenError extends AlreadyExistsError {
  constructor() {
    super("User", "username", "USERNAME_TAKEN", "username is already taken");
  }
}

export class EmailTakenError extends AlreadyExistsError {
  constructor() {
    super("User", "email", "EMAIL_TAKEN", "email is already in use");
  }
}

export class TokenNotFoundError extends NotFoundError {
  constructor() {
    super("Token", "", "token not found, expired or already revoked");
  }
}

/** Another e-mail change of the same user is under way (or this one outlived its claim). */
export class EmailChangeInProgressError extends FailedPreconditionError {
  constructor() {
    super("another email change of this user is in progress; retry", "EMAIL_CHANGE_IN_PROGRESS");
  }
}

/**
 * Too many failed logins for the submitted account or from the caller's
 * source: refused before any password check, the same way whether or not
 * the account exists. RetryInfo carries when the lock ends.
 */
export class LoginThrottledError extends ResourceExhaustedError {
  constructor(retryAfterMs: number) {
    super("too many failed login attempts: retry later", "LOGIN_THROTTLED", "login_attempts", retryAfterMs);
  }
}

/** Every password-hashing slot is busy and the caller's lane queue is full (AUTH_PASSWORD_HASH_QUEUE or AUTH_PASSWORD_HASH_ACCOUNT_QUEUE). */
export class PasswordHashingBusyError extends ResourceExhaustedError {
  constructor() {
    super("the server is busy checking passwords: retry later", "PASSWORD_HASHING_BUSY", "password_hashing_queue");
  }
}
