import { ServiceError } from "./service-error.js";

/** A unique value (username, email, ...) is already taken. */
export class AlreadyExistsError extends ServiceError {
  readonly code = "ALREADY_EXISTS";

  constructor(
    readonly resourceType: string,
    readonly field: string,
    reason: string,
    message = `${resourceType} with this ${field} already exists`,
  ) {
    super(message, reason, { resource_type: resourceType, field });
  }
}
