import { createRegistry, fromBinary, toJson, type JsonValue } from "@bufbuild/protobuf";
import { file_google_rpc_error_details, file_google_rpc_status, StatusSchema } from "@faultmaven/contract/rpc";

/** The google.rpc types our errors carry as details. */
const registry = createRegistry(file_google_rpc_status, file_google_rpc_error_details);

/**
 * A serialized google.rpc.Status (the `grpc-status-details-bin` trailer) as
 * JSON with every detail decoded: `{code, message, details: [{"@type":
 * ".../google.rpc.BadRequest", fieldViolations: [...]}]}`.
 */
export function statusDetailsToJson(bytes: Uint8Array): JsonValue {
  return toJson(StatusSchema, fromBinary(StatusSchema, bytes), { registry });
}

/**
 * The error JSON `buf curl` prints (details as `{type, value}` with the
 * value base64: buf does not decode them) with each detail decoded.
 * A detail of a type we do not know is left as it came.
 */
export function bufCurlErrorToJson(error: { code?: string; message?: string; details?: { type: string; value: string }[] }): JsonValue {
  const details = (error.details ?? []).map((detail): JsonValue => {
    const schema = registry.getMessage(detail.type);
    if (!schema) return detail;
    const decoded = toJson(schema, fromBinary(schema, Buffer.from(detail.value, "base64")), { registry });
    return { "@type": `type.googleapis.com/${detail.type}`, ...(decoded as Record<string, JsonValue>) };
  });
  return { code: error.code ?? "unknown", message: error.message ?? "", details };
}
