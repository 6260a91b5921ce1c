import { AlreadyExistsError, NotFoundError } from "@faultmaven/errors";

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
