import { ServiceError } from "./service-error.js";

/** The caller cancelled the call; the work stopped where it was. */
export class CancelledError extends ServiceError {
  readonly code = "CANCELLED";

  constructor(options?: { cause?: unknown }) {
    super("call cancelled", "CANCELLED", {}, options);
  }
}
