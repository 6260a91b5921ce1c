import { create, toBinary } from "@bufbuild/protobuf";
import { Metadata, status } from "@grpc/grpc-js";
import { pino } from "pino";
import { ErrorInfoSchema } from "@faultmaven/contract/rpc";
import {
  decodeRequest,
  pipeline,
  toStatus,
  undecodableProblem,
  undecodableRequest,
  UndecodableRequestError,
  type CallObserver,
  type UnaryCall,
} from "@faultmaven/grpc-kit";

const INVALID_UTF8_REASON = Uint8Array.from([0x0a, 0x02, 0xc3, 0x28]); // ErrorInfo.reason = bytes c3 28

describe("decodeRequest", () => {
  it("decodes well-formed bytes into an ordinary message", () => {
    const bytes = toBinary(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "OK_REASON" }));
    const message = decodeRequest(ErrorInfoSchema, bytes);
    expect(message).toMatchObject({ reason: "OK_REASON" });
    expect(undecodableProblem(message)).toBeUndefined();
  });

  it.each([
    ["invalid UTF-8 in a string field", INVALID_UTF8_REASON],
    ["a wrong wire type (field 1 as a group start)", Uint8Array.from([0x0b])],
    ["a length past the end", Uint8Array.from([0x0a, 0x09, 0x61])],
    ["wire type 7", Uint8Array.from([0x0f, 0x00])],
  ])("returns an empty stand-in marked malformed, instead of throwing, for %s", (_, bytes) => {
    const message = decodeRequest(ErrorInfoSchema, bytes);
    expect(message.$typeName).toBe("google.rpc.ErrorInfo");
    expect(message).toMatchObject({ reason: "", domain: "" });
    expect(undecodableProblem(message)).toBe("malformed");
  });
});

describe("the pipeline on an undecodable request", () => {
  it("answers INVALID_ARGUMENT (UNDECODABLE_REQUEST) before the handler, counted by observers and logged once as an rpc line", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const codes: status[] = [];
    const observer: CallObserver = (event) => void codes.push(event.code);
    const call: UnaryCall = {
      method: { service: "test.v1.TestService", name: "Do", input: ErrorInfoSchema, output: ErrorInfoSchema },
      request: undecodableRequest(ErrorInfoSchema, "missing"),
      context: {
        method: "test.v1.TestService/Do",
        deadline: undefined,
        signal: new AbortController().signal,
        metadata: new Metadata(),
        peer: "p",
        caller: { identity: undefined, source: "p" },
        logger,
        logBindings: { method: "test.v1.TestService/Do" },
      },
    };
    let reached = false;
    const error = await pipeline({ logger, observers: [observer] })(call, async () => {
      reached = true;
      return {};
    }).catch((e: unknown) => e);

    expect(reached).toBe(false);
    expect(error).toBeInstanceOf(UndecodableRequestError);
    const answered = toStatus(error).status;
    expect(answered.code).toBe(status.INVALID_ARGUMENT);
    expect(answered.details).toBe(
      "request could not be decoded: the call ended before one complete request message arrived (google.rpc.ErrorInfo)",
    );
    expect(codes).toEqual([status.INVALID_ARGUMENT]);
    expect(lines.filter((l) => l.msg === "rpc")).toEqual([
      expect.objectContaining({ code: "INVALID_ARGUMENT", reason: "UNDECODABLE_REQUEST", level: 30 }),
    ]);
  });
});
