import { InvalidArgumentError } from "@faultmaven/errors";
import { keyPart } from "../src/key-part.js";

describe("keyPart", () => {
  it("accepts ordinary ids and emails", () => {
    expect(keyPart("user_id", "user_abc-123")).toBe("user_abc-123");
    expect(keyPart("email", "john.doe+x@example.com")).toBe("john.doe+x@example.com");
  });

  it.each([
    ["empty", "", "is required"],
    ["a key separator", "x:*", "may contain only"],
    ["hash-tag braces", "a}{b", "may contain only"],
    ["a path", "../", "may contain only"],
    ["dots only", "..", "may contain only"],
    ["whitespace", "a b", "may contain only"],
    ["a newline", "a\nb", "may contain only"],
    ["glob characters", "a?[b]", "may contain only"],
    ["10 KB", "a".repeat(10_240), "at most 128"],
  ])("refuses %s, naming the field", (_, value, description) => {
    let caught: unknown;
    try {
      keyPart("client_id", value);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    const error = caught as InvalidArgumentError;
    expect(error.violations).toEqual([{ field: "client_id", description: expect.stringContaining(description) }]);
  });

  it("honours custom length limits", () => {
    expect(() => keyPart("id", "abcd", { maxLength: 3 })).toThrow("id: must be at most 3 characters");
  });
});
