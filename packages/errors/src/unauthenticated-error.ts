import { ServiceError } from "./service-error.js";

/** Credentials missing, wrong, expired or revoked. Deliberately vague. */
export class UnauthenticatedError extends ServiceError {
  readonly code = "UNAUTHENTICATED";

  constructor(message = "invalid credentials", reason = "INVALID_CREDENTIALS") {
    super(message, reason);
  }
}
