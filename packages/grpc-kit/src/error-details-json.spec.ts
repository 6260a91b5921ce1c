import { InvalidArgumentError } from "@faultmaven/errors";
import { bufCurlErrorToJson, statusDetailsToJson } from "./error-details-json.js";
import { toStatus } from "./status-details.js";

const trailer = () => {
  const { status } = toStatus(new InvalidArgumentError([{ field: "user_id", description: "is required" }]));
  return status.metadata!.get("grpc-status-details-bin")[0] as Buffer;
};

describe("error details as JSON", () => {
  it("decodes a grpc-status-details-bin trailer into ErrorInfo and BadRequest", () => {
    expect(statusDetailsToJson(trailer())).toMatchObject({
      code: 3,
      details: [
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "INVALID_ARGUMENT", domain: "faultmaven.io" },
        { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "user_id", description: "is required" }] },
      ],
    });
  });

  it("decodes buf curl's base64 details and leaves a type it does not know as it came", () => {
    const badRequest = "ChYKB3VzZXJfaWQSC2lzIHJlcXVpcmVk"; // BadRequest{field_violations: [{user_id, "is required"}]}
    expect(
      bufCurlErrorToJson({
        code: "invalid_argument",
        message: "m",
        details: [
          { type: "google.rpc.BadRequest", value: badRequest },
          { type: "acme.Unknown", value: "AAA" },
        ],
      }),
    ).toEqual({
      code: "invalid_argument",
      message: "m",
      details: [
        { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "user_id", description: "is required" }] },
        { type: "acme.Unknown", value: "AAA" },
      ],
    });
  });
});
