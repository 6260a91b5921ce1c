import { create } from "@bufbuild/protobuf";
import { UpdateSessionRequestSchema } from "@faultmaven/contract/session";
import { InvalidArgumentError } from "@faultmaven/errors";
import { sessionChanges } from "../src/grpc/session-changes.js";

const sessionId = "sess_aaaaaaaaaaaaaaaaaaaaaaaa";
const request = (paths: string[], context: Record<string, string> = {}) =>
  create(UpdateSessionRequestSchema, { session: { sessionId, caseId: "case_1", context }, updateMask: { paths } });

describe("sessionChanges (UpdateSession's field mask)", () => {
  it("reads case_id, the whole context, and legacy context.<key> paths as sets or removes", () => {
    expect(sessionChanges(request(["case_id", "context.a", "context.gone"], { a: "1" }))).toEqual({
      caseId: "case_1",
      setContext: { a: "1" },
      removeContext: ["gone"],
    });
    expect(sessionChanges(request(["context"], { b: "2" }))).toEqual({ replaceContext: { b: "2" }, setContext: {}, removeContext: [] });
  });

  it.each([["case_id.foo"], ["case_id.bar"], ["context_x"], ["user_id"]])(
    "refuses the path %s on update_mask instead of reading it as a context key",
    (path) => {
      let thrown: unknown;
      try {
        sessionChanges(request([path], { foo: "x", bar: "y" }));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidArgumentError);
      expect((thrown as InvalidArgumentError).violations.map((v) => v.field)).toEqual(["update_mask"]);
    },
  );
});
