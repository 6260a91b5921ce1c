import { status } from "@grpc/grpc-js";
import { CancelledError, DeadlineExceededError } from "@faultmaven/errors";
import { decodeStatusDetails, statusCodeOf, toStatus } from "@faultmaven/grpc-kit";

describe("the status of a call's end", () => {
  it.each([
    ["DEADLINE_EXCEEDED", new DeadlineExceededError(), status.DEADLINE_EXCEEDED],
    ["CANCELLED", new CancelledError(), status.CANCELLED],
  ])("%s is answered with its own code and ErrorInfo reason, and is no bug", (reason, error, code) => {
    const mapped = toStatus(error);
    expect(mapped.unexpected).toBe(false);
    expect(mapped.status.code).toBe(code);
    expect(statusCodeOf(error)).toBe(code);
    expect(decodeStatusDetails(mapped.status.metadata!)).toMatchObject({ reason });
  });
});
