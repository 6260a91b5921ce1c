import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Metadata } from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema, PreconditionFailureSchema, RetryInfoSchema, StatusSchema } from "@faultmaven/contract/rpc";

/**
 * Reads the google.rpc details a caller received (for clients and tests):
 * the ErrorInfo reason, the BadRequest field names and the
 * PreconditionFailure subjects (e.g. the limit a write would exceed) and the
 * RetryInfo delay in ms (undefined without RetryInfo).
 */
export function decodeStatusDetails(metadata: Metadata | undefined): {
  reason: string | undefined;
  fields: string[];
  subjects: string[];
  retryDelayMs?: number;
} {
  const raw = metadata?.get("grpc-status-details-bin")[0];
  if (!(raw instanceof Buffer)) return { reason: undefined, fields: [], subjects: [] };
  const rpcStatus = fromBinary(StatusSchema, raw);
  let reason: string | undefined;
  const fields: string[] = [];
  const subjects: string[] = [];
  let retryDelayMs: number | undefined;
  for (const detail of rpcStatus.details) {
    if (detail.typeUrl.endsWith(ErrorInfoSchema.typeName)) {
      reason = anyUnpack(detail, ErrorInfoSchema)?.reason;
    }
    if (detail.typeUrl.endsWith(BadRequestSchema.typeName)) {
      fields.push(...(anyUnpack(detail, BadRequestSchema)?.fieldViolations.map((v) => v.field) ?? []));
    }
    if (detail.typeUrl.endsWith(RetryInfoSchema.typeName)) {
      const delay = anyUnpack(detail, RetryInfoSchema)?.retryDelay;
      if (delay) retryDelayMs = Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1_000_000);
    }
    if (detail.typeUrl.endsWith(PreconditionFailureSchema.typeName)) {
      subjects.push(...(anyUnpack(detail, PreconditionFailureSchema)?.violations.map((v) => v.subject) ?? []));
    }
  }
  return retryDelayMs === undefined ? { reason, fields, subjects } : { reason, fields, subjects, retryDelayMs };
}
