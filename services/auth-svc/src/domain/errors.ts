import { AlreadyExistsError, FailedPreconditionError, NotFoundError } from "@faultmaven/errors";

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
