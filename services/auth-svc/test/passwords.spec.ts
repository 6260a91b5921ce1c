import { Passwords, passwordLength } from "../src/domain/passwords.js";

describe("Passwords", () => {
  const passwords = new Passwords({ minLength: 10, maxLength: 130, memoryKiB: 19456, iterations: 2 });
  /** 128 emoji: 128 characters, 256 UTF-16 units, 512 UTF-8 bytes. */
  const emoji = "😀".repeat(128);

  it("counts a password's length in code points, an emoji as one", () => {
    expect(passwordLength(emoji)).toBe(128);
    expect(emoji.length).toBe(256);
  });

  it("verifies the whole password: a 128-emoji password with one suffix does not verify with another", async () => {
    const hash = await passwords.hash(`${emoji}ab`);
    expect(await passwords.verify(hash, `${emoji}ab`, "login")).toBe(true);
    expect(await passwords.verify(hash, `${emoji}ac`, "login")).toBe(false);
    expect(await passwords.verify(hash, emoji, "login")).toBe(false);
  });

  it("refuses a password longer than maxLength characters instead of verifying a prefix of it", async () => {
    const atLimit = "x".repeat(130);
    const hash = await passwords.hash(atLimit);
    expect(await passwords.verify(hash, atLimit, "login")).toBe(true);
    expect(await passwords.verify(hash, `${atLimit}y`, "login")).toBe(false);
  });

  it("checks the policy in characters, naming the field", () => {
    expect(passwords.check("password", "😀".repeat(130))).toHaveLength(260);
    expect(() => passwords.check("password", "😀".repeat(131))).toThrow("password: must be at most 130 characters");
  });
});
