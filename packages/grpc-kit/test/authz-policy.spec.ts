import { create } from "@bufbuild/protobuf";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { AuthService, UpdateUserRequestSchema } from "@faultmaven/contract/auth";
import { ReportService } from "@faultmaven/contract/report";
import { SessionService } from "@faultmaven/contract/session";
import { AuthzPolicy } from "@faultmaven/grpc-kit";

const EXAMPLE = fileURLToPath(new URL("../../../config/authz-policy.example.json", import.meta.url));
const GATEWAY = "spiffe://faultmaven/gateway";
const ADMIN = "spiffe://faultmaven/admin";
const AGENT = "spiffe://faultmaven/agent";

const policy = (document: object) => AuthzPolicy.parse(JSON.stringify(document), "policy.json");
const auth = (rules: object[]) => policy({ services: { "faultmaven.auth.v1.AuthService": rules } });
const updateUser = (paths: string[]) => create(UpdateUserRequestSchema, { user: { userId: "u1" }, updateMask: { paths } });

/** The policy entry refusing `identity` the call, or undefined when allowed. */
function refusal(p: AuthzPolicy, method: string, identity: string | undefined, request: object = {}) {
  return p.accessFor(AuthService)(method)!.refusal(identity, request);
}

describe("the example policy (config/authz-policy.example.json)", () => {
  const example = AuthzPolicy.load(EXAMPLE);

  it("fits the methods of all three services", () => {
    for (const service of [AuthService, SessionService, ReportService]) expect(example.covers(service.typeName)).toBe(true);
    expect(() => [AuthService, SessionService, ReportService].map((s) => example.accessFor(s))).not.toThrow();
  });

  it("grants every method of the three services to some workload (a new RPC must be added to it)", () => {
    for (const service of [AuthService, SessionService, ReportService]) {
      const access = example.accessFor(service);
      const ungranted = service.methods.filter((m) =>
        [GATEWAY, ADMIN, AGENT].every((who) => access(m.name)!.refusal(who, {}) !== undefined),
      );
      expect(ungranted.map((m) => m.name)).toEqual([]);
    }
  });

  it("lets only the gateway log in and create users, and only an admin change roles, delete users or revoke all tokens", () => {
    for (const method of ["Login", "CreateUser"]) {
      expect(refusal(example, method, GATEWAY)).toBeUndefined();
      expect(refusal(example, method, ADMIN)).toBe(method);
      expect(refusal(example, method, AGENT)).toBe(method);
    }
    for (const method of ["DeleteUser", "RevokeUserTokens"]) {
      expect(refusal(example, method, ADMIN)).toBeUndefined();
      expect(refusal(example, method, GATEWAY)).toBe(method);
    }
    expect(refusal(example, "UpdateUser", GATEWAY, updateUser(["display_name", "email"]))).toBeUndefined();
    expect(refusal(example, "UpdateUser", GATEWAY, updateUser(["display_name", "roles"]))).toBe("UpdateUser.roles");
    expect(refusal(example, "UpdateUser", ADMIN, updateUser(["roles"]))).toBeUndefined();
    expect(refusal(example, "UpdateUser", AGENT, updateUser(["display_name"]))).toBe("UpdateUser");
  });

  it("lets any faultmaven service validate tokens and read sessions, but no caller without an identity", () => {
    for (const identity of [GATEWAY, ADMIN, AGENT]) expect(refusal(example, "ValidateToken", identity)).toBeUndefined();
    expect(refusal(example, "ValidateToken", "spiffe://other/agent")).toBe("ValidateToken");
    expect(refusal(example, "ValidateToken", undefined)).toBe("ValidateToken");
    expect(example.accessFor(SessionService)("GetSession")!.refusal(AGENT, {})).toBeUndefined();
    expect(example.accessFor(ReportService)("DeleteCaseReports")!.refusal(AGENT, {})).toBe("DeleteCaseReports");
  });

  it("trusts only the gateway to name the end user's address", () => {
    expect(example.trustsClientAddressFrom(GATEWAY)).toBe(true);
    expect(example.trustsClientAddressFrom(AGENT)).toBe(false);
    expect(example.trustsClientAddressFrom(undefined)).toBe(false);
  });
});

describe("AuthzPolicy matching", () => {
  it("matches identities exactly, by prefix, `*` (any identity) and `<anyone>` (even none)", () => {
    const p = auth([
      { methods: ["GetUser"], allow: ["CN-only-client"] },
      { methods: ["ListUsers"], allow: ["spiffe://faultmaven/ops/*"] },
      { methods: ["LookupUser"], allow: ["*"] },
      { methods: ["ValidateToken"], allow: ["<anyone>"] },
    ]);
    expect(refusal(p, "GetUser", "CN-only-client")).toBeUndefined();
    expect(refusal(p, "GetUser", "CN-only-client2")).toBe("GetUser");
    expect(refusal(p, "ListUsers", "spiffe://faultmaven/ops/alice")).toBeUndefined();
    expect(refusal(p, "ListUsers", "spiffe://faultmaven/opsx")).toBe("ListUsers");
    expect(refusal(p, "LookupUser", "anything")).toBeUndefined();
    expect(refusal(p, "LookupUser", undefined)).toBe("LookupUser");
    expect(refusal(p, "ValidateToken", undefined)).toBeUndefined();
  });

  it("denies every method no rule names, and `*` grants every method but not a guarded field", () => {
    const p = auth([
      { methods: ["*"], allow: [GATEWAY] },
      { methods: ["UpdateUser.roles"], allow: [ADMIN] },
    ]);
    expect(refusal(p, "DeleteUser", GATEWAY)).toBeUndefined();
    expect(refusal(p, "DeleteUser", ADMIN)).toBe("DeleteUser");
    expect(refusal(p, "UpdateUser", GATEWAY, updateUser(["roles"]))).toBe("UpdateUser.roles");
    // The admin may change roles only where it may call UpdateUser at all.
    expect(refusal(p, "UpdateUser", ADMIN, updateUser(["roles"]))).toBe("UpdateUser");
    expect(auth([]).accessFor(AuthService)("GetUser")!.refusal(GATEWAY, {})).toBe("GetUser");
  });
});

describe("AuthzPolicy errors name the file and the entry", () => {
  it.each([
    ["{", "policy.json: not valid JSON"],
    ["[]", "policy.json: must be a JSON object"],
    [JSON.stringify({ services: {}, extra: 1 }), 'policy.json: unknown key "extra"'],
    [JSON.stringify({ trustClientAddressFrom: "gw", services: {} }), "policy.json: trustClientAddressFrom: must be a JSON array"],
    [
      JSON.stringify({ trustClientAddressFrom: ["<anyone>"], services: {} }),
      "policy.json: trustClientAddressFrom: <anyone> cannot be trusted to name the client address",
    ],
    [JSON.stringify({ services: { S: {} } }), 'policy.json: services["S"]: must be a JSON array'],
    [
      JSON.stringify({ services: { S: [{ methods: [], allow: [] }] } }),
      'policy.json: services["S"][0].methods: must name at least one method',
    ],
    [
      JSON.stringify({ services: { S: [{ methods: ["A B"], allow: [] }] } }),
      'policy.json: services["S"][0].methods[0]: must be a method name',
    ],
    [JSON.stringify({ services: { S: [{ methods: ["A"], allow: ["a*b"] }] } }), 'policy.json: services["S"][0].allow[0]: "*" may only end'],
    [
      JSON.stringify({ services: { S: [{ methods: ["A"], allow: [""] }] } }),
      'policy.json: services["S"][0].allow[0]: must be a non-empty string',
    ],
    [JSON.stringify({ services: { S: [{ methods: ["A"], allow: [], alow: [] }] } }), 'policy.json: services["S"][0]: unknown key "alow"'],
  ])("%s", (text, message) => {
    expect(() => AuthzPolicy.parse(text, "policy.json")).toThrow(`AUTHZ_POLICY_FILE: ${message}`);
  });

  it("refuses, when the service starts, a method or field the service does not have", () => {
    const where = 'AUTHZ_POLICY_FILE: policy.json: services["faultmaven.auth.v1.AuthService"][1].methods[0]';
    const rules = (method: string) =>
      auth([
        { methods: ["GetUser"], allow: [] },
        { methods: [method], allow: [ADMIN] },
      ]);
    expect(() => rules("DeleteUsers").accessFor(AuthService)).toThrow(
      `${where}: faultmaven.auth.v1.AuthService has no method "DeleteUsers"`,
    );
    expect(() => rules("UpdateUser.password").accessFor(AuthService)).toThrow(
      `${where}: "UpdateUser.password": UpdateUser changes no field`,
    );
    expect(() => rules("DeleteUser.roles").accessFor(AuthService)).toThrow(`${where}: "DeleteUser.roles": DeleteUser has no update_mask`);
  });

  it("names an unreadable file", () => {
    const missing = join(tmpdir(), "no-such-policy.json");
    expect(() => AuthzPolicy.load(missing)).toThrow(`AUTHZ_POLICY_FILE: cannot read ${missing}`);
    const big = join(tmpdir(), `big-policy-${process.pid}.json`);
    writeFileSync(big, " ".repeat(1024 * 1024 + 1));
    expect(() => AuthzPolicy.load(big)).toThrow("larger than 1048576 bytes");
  });
});
