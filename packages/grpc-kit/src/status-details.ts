import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack, type Any } from "@bufbuild/protobuf/wkt";
import { Metadata, status, type StatusObject } from "@grpc/grpc-js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  PreconditionFailureSchema,
  ResourceInfoSchema,
  RetryInfoSchema,
  StatusSchema,
} from "@faultmaven/contract/rpc";
import {
  InvalidArgumentError,
  LimitExceededError,
  NotFoundError,
  ResourceExhaustedError,
  ServiceError,
  type ErrorCode,
} from "@faultmaven/errors";

/** The google.rpc error domain our ErrorInfo details carry. */
export const ERROR_DOMAIN = "faultmaven.io";

const CODES: Record<ErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  ABORTED: status.ABORTED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
};

/** The status code a thrown error is answered with (INTERNAL for anything but a ServiceError). */
export function statusCodeOf(error: unknown): status {
  return error instanceof ServiceError ? CODES[error.code] : status.INTERNAL;
}

/** A status for the caller, plus whether it hides a bug that must be logged. */
export interface MappedStatus {
  readonly status: StatusObject;
  readonly unexpected: boolean;
}

/**
 * The one place where errors become gRPC statuses. A ServiceError keeps its
 * code and safe message, with google.rpc details (ErrorInfo always;
 * BadRequest, PreconditionFailure, ResourceInfo, RetryInfo where they apply) in the
 * `grpc-status-details-bin` trailer. Anything else is a bug: the caller gets
 * INTERNAL with a generic message and the caller of this function logs it.
 */
export function toStatus(error: unknown): MappedStatus {
  if (!(error instanceof ServiceError)) {
    return { status: statusObject(status.INTERNAL, "internal error", []), unexpected: true };
  }
  const details: Any[] = [
    anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: error.reason, domain: ERROR_DOMAIN, metadata: { ...error.metadata } })),
  ];
  if (error instanceof InvalidArgumentError) {
    details.push(
      anyPack(
        BadRequestSchema,
        create(BadRequestSchema, {
          fieldViolations: error.violations.map((v) => ({ field: v.field, description: v.description })),
        }),
      ),
    );
  }
  if (error instanceof LimitExceededError) {
    details.push(
      anyPack(
        PreconditionFailureSchema,
        create(PreconditionFailureSchema, {
          violations: [{ type: "LIMIT_EXCEEDED", subject: error.limit, description: error.message }],
        }),
      ),
    );
  }
  if (error instanceof NotFoundError) {
    details.push(
      anyPack(ResourceInfoSchema, create(ResourceInfoSchema, { resourceType: error.resourceType, resourceName: error.resourceName })),
    );
  }
  // An outage, a lost write race and a server at its limits are all worth a retry after a short delay.
  if (error.code === "UNAVAILABLE" || error.code === "ABORTED" || error.code === "RESOURCE_EXHAUSTED") {
    // A limit that knows when it frees up (a login throttle) says so; the rest suggest 1 s.
    const ms = error instanceof ResourceExhaustedError ? Math.max(0, Math.ceil(error.retryAfterMs)) : 1000;
    const retryDelay = { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
    details.push(anyPack(RetryInfoSchema, create(RetryInfoSchema, { retryDelay })));
  }
  return { status: statusObject(CODES[error.code], error.message, details), unexpected: false };
}

function statusObject(code: status, message: string, details: Any[]): StatusObject {
  const metadata = new Metadata();
  const rpcStatus = create(StatusSchema, { code, message, details });
  metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, rpcStatus)));
  return { code, details: message, metadata };
}
