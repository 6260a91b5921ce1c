import { create, createFileRegistry, type DescMessage, type MessageInitShape, setExtension } from "@bufbuild/protobuf";
import type { GenExtension } from "@bufbuild/protobuf/codegenv2";
import {
  FieldDescriptorProto_Label,
  FieldDescriptorProto_Type,
  FieldOptionsSchema,
  FileDescriptorProtoSchema,
} from "@bufbuild/protobuf/wkt";
import { createValidator } from "@bufbuild/protovalidate";
import {
  field,
  FieldRulesSchema,
  file_buf_validate_validate,
  type StringRules,
  StringRulesSchema,
} from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import * as rules from "@faultmaven/contract/validate";
import { InvalidArgumentError } from "@faultmaven/errors";
import { validateRequest } from "../src/request-validation.js";
import { stringCorpus } from "./string-corpus.js";

type StringRulesInit = MessageInitShape<typeof StringRulesSchema>;
type PredefinedRule = GenExtension<StringRules, boolean>;

let probes = 0;

/** A message `Probe { string value = 1; }` whose field carries the given buf.validate.field string rules. */
function probe(stringRules: StringRules): DescMessage {
  const options = create(FieldOptionsSchema);
  setExtension(options, field, create(FieldRulesSchema, { type: { case: "string", value: stringRules } }));
  const name = `probe${++probes}`;
  const file = create(FileDescriptorProtoSchema, {
    name: `${name}.proto`,
    package: name,
    syntax: "proto3",
    dependency: ["buf/validate/validate.proto"],
    messageType: [
      {
        name: "Probe",
        field: [
          {
            name: "value",
            jsonName: "value",
            number: 1,
            type: FieldDescriptorProto_Type.STRING,
            label: FieldDescriptorProto_Label.OPTIONAL,
            options,
          },
        ],
      },
    ],
  });
  const registry = createFileRegistry(file, (dependency) =>
    dependency === "buf/validate/validate.proto" ? file_buf_validate_validate : undefined,
  );
  return registry.getMessage(`${name}.Probe`)!;
}

/** The field with the inline rule the contract had before (commit 13836b1). */
const inline = (init: StringRulesInit) => probe(create(StringRulesSchema, init));

/** The field with a predefined rule of faultmaven.validate.v1 set to `on`. */
function predefined(rule: PredefinedRule, on = true): DescMessage {
  const stringRules = create(StringRulesSchema);
  setExtension(stringRules, rule, on);
  return probe(stringRules);
}

// The validator the contract used before: protovalidate's defaults, RE2.
const before = createValidator();

/** What protovalidate said of `value` under the inline rule: undefined when it passed. */
function inlineVerdict(schema: DescMessage, value: string): string | undefined {
  const result = before.validate(schema, create(schema, { value }) as never);
  if (result.kind === "error") throw result.error;
  return result.kind === "valid" ? undefined : result.violations.map((v) => v.message).join("; ");
}

/** What validateRequest (the services' validator) says of `value`: undefined when it passed. */
function verdict(schema: DescMessage, value: string): string | undefined {
  try {
    validateRequest(schema, create(schema, { value }));
    return undefined;
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    expect(error.violations.map((v) => v.field)).toEqual(["value"]);
    return error.violations[0]!.description;
  }
}

const ID = 'must be 1-128 characters of letters, digits and _ . @ + - (no "..")';
const KEY = 'must be 1-64 characters of letters, digits and _ . - (not "__proto__")';
const ID_PATTERN = "^[A-Za-z0-9_.@+-]+$";
const EMAIL_PATTERN = "^[A-Za-z0-9_.+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$";

// Each predefined rule, the inline rule(s) it replaced, and its message.
const cases: { name: string; rule: PredefinedRule; was: StringRulesInit[]; message: string }[] = [
  {
    name: "key_part",
    rule: rules.key_part,
    // With and without min_len: the contract had both spellings.
    was: [
      { minLen: 1n, maxLen: 128n, pattern: ID_PATTERN, notContains: ".." },
      { maxLen: 128n, pattern: ID_PATTERN, notContains: ".." },
    ],
    message: ID,
  },
  {
    name: "session_id",
    rule: rules.session_id,
    was: [{ pattern: "^sess_[A-Za-z0-9_-]{16,64}$" }],
    message: 'is not a session id ("sess_" and 16-64 letters, digits, _ or -)',
  },
  {
    name: "user_id",
    rule: rules.user_id,
    was: [{ pattern: "^usr_[A-Za-z0-9_-]{22}$" }],
    message: 'is not a user id ("usr_" and 22 letters, digits, _ or -)',
  },
  {
    name: "token_id",
    rule: rules.token_id,
    was: [{ pattern: "^tok_[A-Za-z0-9_-]{16}$" }],
    message: 'is not a token id ("tok_" and 16 letters, digits, _ or -)',
  },
  {
    name: "report_id",
    rule: rules.report_id,
    was: [{ pattern: "^rep_[A-Za-z0-9_-]{22}$" }],
    message: 'is not a report id ("rep_" and 22 letters, digits, _ or -)',
  },
  {
    name: "context_key",
    rule: rules.context_key,
    was: [{ minLen: 1n, maxLen: 64n, pattern: "^[A-Za-z0-9_.-]+$", notIn: ["__proto__"] }],
    message: KEY,
  },
  {
    name: "username",
    rule: rules.username,
    was: [{ minLen: 3n, maxLen: 64n, pattern: ID_PATTERN, notContains: ".." }],
    message: 'must be 3-64 characters of letters, digits and _ . @ + - (no "..")',
  },
  {
    name: "email",
    rule: rules.email,
    was: [{ maxLen: 254n, pattern: EMAIL_PATTERN, notContains: ".." }],
    message:
      'must be an e-mail address of at most 254 characters: letters, digits and _ . + - before the @, a dotted domain of letters, digits and - after it (no "..")',
  },
  {
    name: "role",
    rule: rules.role,
    was: [{ pattern: "^[A-Za-z0-9_.:-]{1,64}$" }],
    message: "must be 1-64 characters of letters, digits and _ . : -",
  },
  {
    name: "display_name",
    rule: rules.display_name,
    was: [{ maxLen: 128n, pattern: "^\\P{Cc}*$" }],
    message: "must be at most 128 characters, without control characters",
  },
];

const corpus = stringCorpus();

describe("the predefined rules of faultmaven.validate.v1", () => {
  it.each(cases)("$name accepts and refuses exactly what its inline rule did, over the whole corpus", ({ rule, was }) => {
    const now = predefined(rule);
    for (const old of was.map(inline)) {
      const disagreements = corpus.filter((value) => (verdict(now, value) === undefined) !== (inlineVerdict(old, value) === undefined));
      expect(disagreements).toEqual([]);
    }
    // The corpus has both outcomes for every rule, so the comparison means something.
    const accepted = corpus.filter((value) => verdict(now, value) === undefined).length;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(corpus.length);
  });

  it.each(cases)("$name refuses with its own message, not a regex", ({ rule, message }) => {
    const now = predefined(rule);
    const refused = corpus.filter((value) => verdict(now, value) !== undefined);
    expect(new Set(refused.map((value) => verdict(now, value)))).toEqual(new Set([message]));
  });

  it.each(cases)("$name = false checks nothing", ({ rule }) => {
    const off = predefined(rule, false);
    expect(corpus.filter((value) => verdict(off, value) !== undefined)).toEqual([]);
  });

  it("key_part: 1-128 characters of letters, digits and _ . @ + -, without '..'", () => {
    const keyPart = predefined(rules.key_part);
    for (const ok of ["a", "x".repeat(128), "user.name@example.com", "a+b-c_d.e", "A1"]) expect(verdict(keyPart, ok)).toBeUndefined();
    for (const bad of ["", "x".repeat(129), "a..b", "..", "a:b", "a*b", "a{b", "a}b", "a b", "a/b", "é", "😀", "ab\n"]) {
      expect(verdict(keyPart, bad)).toBe(ID);
    }
  });

  it("session_id: 'sess_' and 16-64 base64url characters", () => {
    const sessionId = predefined(rules.session_id);
    for (const ok of [`sess_${"A".repeat(16)}`, `sess_${"a-_9".repeat(16)}`]) expect(verdict(sessionId, ok)).toBeUndefined();
    for (const bad of [
      "",
      `sess_${"A".repeat(15)}`,
      `sess_${"A".repeat(65)}`,
      `SESS_${"A".repeat(16)}`,
      `sess_${"A".repeat(15)}.`,
      `sess_${"A".repeat(15)}😀`,
    ]) {
      expect(verdict(sessionId, bad)).toBe('is not a session id ("sess_" and 16-64 letters, digits, _ or -)');
    }
  });

  it("context_key: 1-64 characters of letters, digits and _ . -, not __proto__", () => {
    const key = predefined(rules.context_key);
    for (const ok of ["a", "My_Key", "dotted.key-1", "x".repeat(64), "__proto", "constructor"]) expect(verdict(key, ok)).toBeUndefined();
    for (const bad of ["", "x".repeat(65), "__proto__", "a:b", "a@b", "a b", "é", "a*b"]) expect(verdict(key, bad)).toBe(KEY);
  });

  it("display_name counts characters, not UTF-16 units: 128 emoji pass, 129 do not", () => {
    const displayName = predefined(rules.display_name);
    expect(verdict(displayName, "😀".repeat(128))).toBeUndefined();
    expect(verdict(displayName, "😀".repeat(129))).toBe("must be at most 128 characters, without control characters");
    expect(verdict(displayName, "a\u0085b")).toBe("must be at most 128 characters, without control characters");
  });
});
