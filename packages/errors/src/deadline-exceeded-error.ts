import { ServiceError } from "./service-error.js";

/** The caller's deadline passed before the work finished; what was not started never will be. */
export class DeadlineExceededError extends ServiceError {
  readonly code = "DEADLINE_EXCEEDED";

  constructor(options?: { cause?: unknown }) {
    super("deadline exceeded", "DEADLINE_EXCEEDED", {}, options);
  }
}
