import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import type { Metadata } from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema, StatusSchema } from "@faultmaven/contract/rpc";

/**
 * Reads the google.rpc details a caller received (for clients and tests):
 * the ErrorInfo reason and the BadRequest field names.
 */
export function decodeStatusDetails(metadata: Metadata | undefined): {
  reason: string | undefined;
  fields: string[];
} {
  const raw = metadata?.get("grpc-status-details-bin")[0];
  if (!(raw instanceof Buffer)) return { reason: undefined, fields: [] };
  const rpcStatus = fromBinary(StatusSchema, raw);
  let reason: string | undefined;
  const fields: string[] = [];
  for (const detail of rpcStatus.details) {
    if (detail.typeUrl.endsWith(ErrorInfoSchema.typeName)) {
      reason = anyUnpack(detail, ErrorInfoSchema)?.reason;
    }
    if (detail.typeUrl.endsWith(BadRequestSchema.typeName)) {
      fields.push(...(anyUnpack(detail, BadRequestSchema)?.fieldViolations.map((v) => v.field) ?? []));
    }
  }
  return { reason, fields };
}
