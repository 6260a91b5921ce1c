import { ServiceError } from "./service-error.js";

/**
 * A write kept conflicting with concurrent writes to the same data and gave
 * up (gRPC ABORTED): nothing was written, the store is healthy, and the
 * caller may retry the whole call after a short delay.
 */
export class AbortedError extends ServiceError {
  readonly code = "ABORTED";

  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation} conflicted with concurrent writes to the same data, retry later`, "CONTENTION", { operation }, options);
  }
}
