import { classifyKey } from "@faultmaven/keyspace";
import { KEY_SCHEMAS } from "../scripts/key-schemas.js";

/** A valid value for every part name used in the schemas. */
const SAMPLES: Record<string, string> = {
  session_id: "sess_abcdefghijklmnopqrstuv",
  user_id: "usr_abcdefghijklmnopqrstuv",
  client_id: "browser_1",
  username: "john",
  email: "john@example.com",
  sha256_hex: "a".repeat(64),
  token_id: "tok_abcdefghijklmnop",
  case_id: "case_1",
  type: "RCA_REPORT",
  report_id: "rep_abcdefghijklmnopqrstuv",
  slot_tag: "abc",
  anchor_rest: "{case_1}:reports",
  method: "AppendMessage",
  idempotency_key: "key_1",
};

/** A valid value for a part of `template`; an idempotency record's anchor is a key of the record's own namespace. */
const sample = (template: string, part: string) =>
  part === "anchor" ? `${template.slice(0, template.indexOf(":") + 1)}sample_1` : SAMPLES[part]!;

const keys = KEY_SCHEMAS.flatMap((schema) => Object.values(schema.keys).map((key) => ({ service: schema.service, key })));

describe("the services' key schemas", () => {
  it.each(keys.map(({ service, key }) => [key.template, service, key] as const))(
    "the audit classifies a key built for %s as that key of %s",
    (template, service, key) => {
      const built = key.build(...(key.parts.map((p) => sample(key.template, p.name)) as never[]));
      expect(classifyKey(built, KEY_SCHEMAS)).toEqual({ kind: "known", name: template, owner: service });
    },
  );

  it("give each key exactly one pattern (no two templates match the same key)", () => {
    for (const { key } of keys) {
      const built = key.build(...(key.parts.map((p) => sample(key.template, p.name)) as never[]));
      expect(keys.filter((other) => other.key.matches(built)).map((other) => other.key.template)).toEqual([key.template]);
    }
  });

  it("derive the sampler namespaces from the templates", () => {
    expect(KEY_SCHEMAS.map((s) => [s.service, s.namespaces])).toEqual([
      ["session-svc", ["session:", "{session:", "client_session:"]],
      ["auth-svc", ["auth:"]],
      ["report-svc", ["case:", "report:"]],
    ]);
  });

  it("leave the seed's deprecated keys and foreign keys outside the schema", () => {
    expect(classifyKey("case:case_1", KEY_SCHEMAS)).toEqual({ kind: "deprecated", name: "case:{case_id}" });
    expect(classifyKey("session:not-a-session", KEY_SCHEMAS)).toEqual({ kind: "unknown" });
    expect(classifyKey("case:case_1:reports:NOT_A_TYPE", KEY_SCHEMAS)).toEqual({ kind: "unknown" });
  });
});
