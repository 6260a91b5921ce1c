import { ServiceError } from "./service-error.js";

/** The resource is not in the state the operation needs (e.g. a lock held by someone else). */
export class FailedPreconditionError extends ServiceError {
  readonly code = "FAILED_PRECONDITION";
}
