import { create } from "@bufbuild/protobuf";
import { CreateUserRequestSchema, LookupUserRequestSchema, UpdateUserRequestSchema } from "@faultmaven/contract/auth";
import { ReportType, SaveReportRequestSchema, SearchReportsRequestSchema } from "@faultmaven/contract/report";
import { AcquireSessionLockRequestSchema, CreateSessionRequestSchema, UpdateSessionRequestSchema } from "@faultmaven/contract/session";
import { InvalidArgumentError } from "@faultmaven/errors";
import { validateRequest } from "../src/request-validation.js";

/** The violations validateRequest throws for a request, as [field, description] pairs. */
function violations(run: () => void): [string, string][] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error.violations.map((v) => [v.field, v.description]);
    throw error;
  }
  throw new Error("the request passed validation");
}

const SESSION_ID = "sess_AAAAAAAAAAAAAAAAAAAAAAAA";

describe("validateRequest", () => {
  it("accepts a request that keeps every rule", () => {
    const request = create(CreateSessionRequestSchema, { userId: "user_1", clientId: "browser.a", context: { my_Key: "v" } });
    expect(() => validateRequest(CreateSessionRequestSchema, request)).not.toThrow();
  });

  it("names each bad field once, by its snake_case proto path, with the message of the contract's rule", () => {
    const request = create(CreateSessionRequestSchema, { userId: "", clientId: "a..b:*", caseId: "x".repeat(129) });
    const found = violations(() => validateRequest(CreateSessionRequestSchema, request));
    const idRule = 'must be 1-128 characters of letters, digits and _ . @ + - (no "..")';
    expect(found).toEqual([
      ["user_id", "value is required"],
      ["client_id", idRule],
      ["case_id", idRule],
    ]);
  });

  it("merges the rules one field breaks into one entry", () => {
    const request = create(SaveReportRequestSchema, {
      caseId: "c",
      type: ReportType.RUNBOOK,
      content: " ".repeat(200_001),
      createdBy: "u",
    });
    // Both max_len and the not-blank pattern are broken: one entry says both.
    expect(violations(() => validateRequest(SaveReportRequestSchema, request))).toEqual([
      ["content", "must be at most 200000 characters; does not match regex pattern `\\S`"],
    ]);
  });

  it("names a map entry as field.key and says when the key itself is wrong", () => {
    const request = create(CreateSessionRequestSchema, { userId: "u", clientId: "c", context: { "bad key": "v", ok: "v".repeat(4097) } });
    const found = violations(() => validateRequest(CreateSessionRequestSchema, request));
    expect(found).toEqual([
      ["context.bad key", 'key: must be 1-64 characters of letters, digits and _ . - (not "__proto__")'],
      ["context.ok", expect.stringContaining("4096")],
    ]);
  });

  it("names a list item with its index and a nested field with its parent", () => {
    const update = create(UpdateUserRequestSchema, {
      user: { userId: "usr_*", roles: ["ok", "has space"] },
      updateMask: { paths: ["roles"] },
    });
    expect(violations(() => validateRequest(UpdateUserRequestSchema, update)).map(([field]) => field)).toEqual([
      "user.user_id",
      "user.roles[1]",
    ]);
  });

  it("refuses mask paths the contract does not list, and an empty mask", () => {
    const unknown = create(UpdateUserRequestSchema, { user: { userId: `usr_${"a".repeat(22)}` }, updateMask: { paths: ["username"] } });
    expect(violations(() => validateRequest(UpdateUserRequestSchema, unknown))).toEqual([
      ["update_mask", expect.stringContaining("paths")],
    ]);
    const empty = create(UpdateUserRequestSchema, { user: { userId: `usr_${"a".repeat(22)}` }, updateMask: { paths: [] } });
    expect(violations(() => validateRequest(UpdateUserRequestSchema, empty))).toEqual([["update_mask", "must name at least one path"]]);
  });

  it("admits the legacy context.<key> mask paths and any key case in set_context", () => {
    const request = create(UpdateSessionRequestSchema, {
      session: { sessionId: SESSION_ID },
      updateMask: { paths: ["case_id", "context.my_key"] },
      setContext: { My_Key: "v", "dotted.key-1": "w" },
      removeContextKeys: ["Other_Key"],
    });
    expect(() => validateRequest(UpdateSessionRequestSchema, request)).not.toThrow();
  });

  it("requires a oneof and checks the member that is set", () => {
    expect(violations(() => validateRequest(LookupUserRequestSchema, create(LookupUserRequestSchema, {})))).toEqual([
      ["key", expect.stringContaining("required")],
    ]);
    const bad = create(CreateUserRequestSchema, { username: "JOHN", email: "a:b@example.com", password: "x" });
    expect(violations(() => validateRequest(CreateUserRequestSchema, bad)).map(([field]) => field)).toEqual(["email"]);
  });

  it("checks durations, enums and numbers", () => {
    const lease = create(AcquireSessionLockRequestSchema, { sessionId: SESSION_ID, owner: "w", lease: { seconds: 601n } });
    expect(violations(() => validateRequest(AcquireSessionLockRequestSchema, lease)).map(([field]) => field)).toEqual(["lease"]);
    const search = create(SearchReportsRequestSchema, { query: "  ", type: 99 as ReportType, limit: -1, minScore: 1 });
    expect(violations(() => validateRequest(SearchReportsRequestSchema, search)).map(([field]) => field)).toEqual([
      "query",
      "type",
      "limit",
      "min_score",
    ]);
  });
});
