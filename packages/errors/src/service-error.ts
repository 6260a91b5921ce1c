/** The canonical codes a domain may raise (a subset of gRPC's). */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "NOT_FOUND"
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION"
  | "ABORTED"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "UNAVAILABLE"
  | "DEADLINE_EXCEEDED"
  | "CANCELLED"
  | "RESOURCE_EXHAUSTED";

/**
 * Base of every expected failure. `message` is safe to show to callers;
 * `reason` is a stable UPPER_SNAKE identifier for google.rpc.ErrorInfo and
 * `metadata` its machine-readable context. Anything that is not a
 * ServiceError is treated as a bug: logged, and answered generically.
 */
export abstract class ServiceError extends Error {
  abstract readonly code: ErrorCode;

  constructor(
    message: string,
    readonly reason: string,
    readonly metadata: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
