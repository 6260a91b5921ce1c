import { create, fromBinary, type DescMessage, type Message } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "@faultmaven/errors";

/** Why a unary call has no usable request message. */
export type UndecodableProblem = "malformed" | "missing" | "extra";

const DESCRIPTIONS: Record<UndecodableProblem, string> = {
  malformed: "is not a valid protobuf encoding of the request message",
  missing: "the call ended before one complete request message arrived",
  extra: "a unary call carries exactly one request message",
};

// Stand-ins for requests that could not be decoded, so the pipeline (not
// grpc-js, which would answer INTERNAL or UNIMPLEMENTED) answers them.
const undecodable = new WeakMap<object, UndecodableProblem>();

/** An empty message of `schema` that stands for a request with `problem`. */
export function undecodableRequest(schema: DescMessage, problem: UndecodableProblem): Message {
  const stand = create(schema);
  undecodable.set(stand, problem);
  return stand;
}

/** What was wrong with the request `message` stands for, or undefined for a decoded request. */
export function undecodableProblem(message: unknown): UndecodableProblem | undefined {
  return typeof message === "object" && message !== null ? undecodable.get(message) : undefined;
}

/**
 * Decodes request bytes without ever throwing: bytes protobuf-es rejects
 * (invalid UTF-8, wrong wire types, truncated fields, groups nested past its
 * depth) become a stand-in the pipeline answers with INVALID_ARGUMENT.
 */
export function decodeRequest(schema: DescMessage, bytes: Uint8Array): Message {
  try {
    return fromBinary(schema, bytes);
  } catch {
    return undecodableRequest(schema, "malformed");
  }
}

/**
 * INVALID_ARGUMENT for a request that could not be decoded. ErrorInfo reason
 * UNDECODABLE_REQUEST; the BadRequest names the whole request as "" (no
 * field can be blamed) and never echoes the bytes.
 */
export class UndecodableRequestError extends InvalidArgumentError {
  override readonly reason = "UNDECODABLE_REQUEST";

  constructor(
    readonly typeName: string,
    readonly problem: UndecodableProblem,
  ) {
    super([{ field: "", description: `request could not be decoded: ${DESCRIPTIONS[problem]} (${typeName})` }]);
    this.message = `request could not be decoded: ${DESCRIPTIONS[problem]} (${typeName})`;
  }
}
