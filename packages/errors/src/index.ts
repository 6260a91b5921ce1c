/**
 * Canonical error classes shared by every layer. Domain code throws these
 * (or small subclasses with typed fields); the gRPC kit maps them to status
 * codes in one place. Nothing here depends on gRPC or Redis.
 */
export { ServiceError, type ErrorCode } from "./service-error.js";
export { InvalidArgumentError, type FieldViolation } from "./invalid-argument-error.js";
export { NotFoundError } from "./not-found-error.js";
export { AlreadyExistsError } from "./already-exists-error.js";
export { FailedPreconditionError } from "./failed-precondition-error.js";
export { LimitExceededError } from "./limit-exceeded-error.js";
export { AbortedError } from "./aborted-error.js";
export { UnauthenticatedError } from "./unauthenticated-error.js";
export { PermissionDeniedError } from "./permission-denied-error.js";
export { UnavailableError } from "./unavailable-error.js";
export { DeadlineExceededError } from "./deadline-exceeded-error.js";
export { CancelledError } from "./cancelled-error.js";
export { ResourceExhaustedError } from "./resource-exhausted-error.js";
