import { status } from "@grpc/grpc-js";
import { create, fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { RetryInfoSchema, StatusSchema } from "@faultmaven/contract/rpc";
import { AbortedError, CancelledError, DeadlineExceededError, LimitExceededError, ResourceExhaustedError } from "@faultmaven/errors";
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

describe("the status of a lost write race", () => {
  it("AbortedError is answered ABORTED with reason CONTENTION and a 1 s RetryInfo, and is no bug", () => {
    const mapped = toStatus(new AbortedError("save_report"));
    expect([mapped.unexpected, mapped.status.code, statusCodeOf(new AbortedError("x"))]).toEqual([false, status.ABORTED, status.ABORTED]);
    expect(decodeStatusDetails(mapped.status.metadata!)).toMatchObject({ reason: "CONTENTION" });
    const rpcStatus = fromBinary(StatusSchema, mapped.status.metadata!.get("grpc-status-details-bin")[0] as Buffer);
    const retry = rpcStatus.details.map((d) => anyUnpack(d, RetryInfoSchema)).find((r) => r !== undefined);
    expect(retry?.retryDelay).toEqual(create(RetryInfoSchema, { retryDelay: { seconds: 1n } }).retryDelay);
  });
});

describe("the status of a write past a limit", () => {
  it("LimitExceededError is answered FAILED_PRECONDITION with reason LIMIT_EXCEEDED and a PreconditionFailure naming the limit", () => {
    const mapped = toStatus(new LimitExceededError("session.context_entries", 256, "a session holds at most 256 context entries"));
    expect([mapped.unexpected, mapped.status.code]).toEqual([false, status.FAILED_PRECONDITION]);
    expect(decodeStatusDetails(mapped.status.metadata!)).toEqual({
      reason: "LIMIT_EXCEEDED",
      fields: [],
      subjects: ["session.context_entries"],
    });
  });
});

describe("the status of a limit that knows when it frees up", () => {
  it("ResourceExhaustedError with a retry delay sends that delay in RetryInfo (ms precision), and 1 s without one", () => {
    const mapped = toStatus(new ResourceExhaustedError("too many attempts", "LOGIN_THROTTLED", "login_attempts", 2345));
    expect(mapped.status.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(decodeStatusDetails(mapped.status.metadata!)).toEqual({
      reason: "LOGIN_THROTTLED",
      fields: [],
      subjects: [],
      retryDelayMs: 2345,
    });
    const rpcStatus = fromBinary(StatusSchema, mapped.status.metadata!.get("grpc-status-details-bin")[0] as Buffer);
    const retry = rpcStatus.details.map((d) => anyUnpack(d, RetryInfoSchema)).find((r) => r !== undefined);
    expect(retry?.retryDelay).toEqual(create(RetryInfoSchema, { retryDelay: { seconds: 2n, nanos: 345_000_000 } }).retryDelay);
    const plain = toStatus(new ResourceExhaustedError("busy", "SERVER_BUSY", "grpc.max_in_flight_calls"));
    expect(decodeStatusDetails(plain.status.metadata!).retryDelayMs).toBe(1000);
  });
});
