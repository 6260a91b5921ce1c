import { InvalidArgumentError } from "@faultmaven/errors";
import { defineKeySchema, keyBuilders } from "../src/key-schema.js";
import { KeyPattern, oneOf, part } from "../src/key-pattern.js";

const doc = { type: "String", ttl: "none", writtenBy: "tests" };
const schema = defineKeySchema({
  service: "demo-svc",
  keys: {
    pair: new KeyPattern("demo:{user_id}:{client_id}", [part("user_id"), part("client_id", { maxLength: 8 })], doc),
    item: new KeyPattern(
      "item:{item_id}:{kind}",
      [part("item_id", { pattern: /^itm_[a-z]{4}$/, patternDescription: "an item id" }), oneOf("kind", ["A", "B"])],
      doc,
    ),
    sha: new KeyPattern("demo:sha:{sha256_hex}", [part("sha256_hex", { field: "token", pattern: /^[0-9a-f]{4}$/ })], doc),
    list: new KeyPattern("demo:list", [], doc),
  },
});
const keys = keyBuilders(schema);

function invalid(build: () => string): { field: string; message: string } {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return { field: (error as InvalidArgumentError).violations[0]!.field, message: (error as Error).message };
  }
  throw new Error("expected INVALID_ARGUMENT");
}

describe("KeyPattern and its builders", () => {
  it("build keys from the template with the parts in order", () => {
    expect(keys.pair("u1", "c1")).toBe("demo:u1:c1");
    expect(keys.item("itm_abcd", "B")).toBe("item:itm_abcd:B");
    expect(keys.list()).toBe("demo:list");
  });

  it("validate every part, naming its request field", () => {
    expect(invalid(() => keys.pair("u:*", "c")).field).toBe("user_id");
    expect(invalid(() => keys.pair("u", "c".repeat(9))).field).toBe("client_id");
    expect(invalid(() => keys.item("itm_ABCD", "A"))).toEqual({ field: "item_id", message: expect.stringContaining("an item id") });
    expect(invalid(() => keys.item("itm_abcd", "C" as "A")).field).toBe("kind");
    expect(invalid(() => keys.sha("zzzz")).field).toBe("token");
  });

  it("match exactly the keys they can build", () => {
    const { pair, item, list } = schema.keys;
    expect(pair.matches("demo:u1:c1")).toBe(true);
    expect(pair.matches("demo:u1:c1:extra")).toBe(false);
    expect(pair.matches("demo:u1:ccccccccc")).toBe(false);
    expect(item.matches("item:itm_abcd:A")).toBe(true);
    expect(item.matches("item:itm_abcd:C")).toBe(false);
    expect(list.matches("demo:list")).toBe(true);
    expect(list.matches("demoXlist")).toBe(false);
  });

  it("refuse a template whose placeholders differ from its parts", () => {
    expect(() => new KeyPattern("demo:{user_id}:{client_id}", [part("client_id"), part("user_id")], doc)).toThrow(
      /names \{user_id\}, \{client_id\}/,
    );
    expect(() => new KeyPattern("demo:{user_id}", [], doc)).toThrow(/names \{user_id\}/);
  });

  it("give the schema one namespace per leading segment", () => {
    expect(schema.namespaces).toEqual(["demo:", "item:"]);
  });
});
