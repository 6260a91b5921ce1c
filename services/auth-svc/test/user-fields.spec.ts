import { DEFAULT_PHC_PARAMS, joinPassword, parseRoles, passwordFields, rolesField, USER_FIELDS } from "../src/redis/user-fields.js";

const SALT = "c2FsdHNhbHRzYWx0c2FsdA";
const DIGEST = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

describe("the current user-hash layout (user-fields.ts)", () => {
  it("names every field with one or two letters, no two alike (stored in every user; a change breaks every stored user)", () => {
    expect(USER_FIELDS).toEqual({
      username: "u",
      email: "e",
      display_name: "d",
      roles: "r",
      password_salt: "s",
      password_hash: "h",
      created_at: "c",
      updated_at: "m",
      last_login: "l",
      pending_email: "pe",
      pending_email_until: "pu",
    });
    expect(DEFAULT_PHC_PARAMS).toBe("m=19456,t=2,p=1");
  });

  it.each([
    ["the default parameters: the salt alone", `$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${DIGEST}`, SALT],
    ["other parameters: kept", `$argon2id$v=19$m=65536,t=3,p=4$${SALT}$${DIGEST}`, `m=65536,t=3,p=4$${SALT}`],
    ["another algorithm: its whole prefix", `$argon2i$v=19$m=19456,t=2,p=1$${SALT}$${DIGEST}`, `$argon2i$v=19$m=19456,t=2,p=1$${SALT}`],
    ["argon2id without a salt: whole", `$argon2id$v=19$m=19456,t=2,p=1$${DIGEST}`, "$argon2id$v=19$m=19456,t=2,p=1"],
  ])("splits a PHC string with %s, and joins it back", (_, phc, salt) => {
    expect(passwordFields(phc)).toEqual({ salt, hash: DIGEST });
    expect(joinPassword(salt, DIGEST)).toBe(phc);
  });

  it("keeps the bench's user within 64 bytes a value (a listpack)", () => {
    const { salt, hash } = passwordFields(`$argon2id$v=19$m=19456,t=2,p=1$${SALT}$${DIGEST}`);
    expect(Math.max(salt.length, hash.length)).toBeLessThanOrEqual(64);
  });

  it("stores roles comma-separated (nothing when none) and reads either layout's", () => {
    expect(rolesField(["engineer"])).toBe("engineer");
    expect(rolesField(["admin", "ops:read"])).toBe("admin,ops:read");
    expect(rolesField([])).toBe("");
    for (const bad of [["a,b"], ["[x"], [""]]) expect(() => rolesField(bad)).toThrow("cannot be stored");
    expect(parseRoles("admin,ops:read")).toEqual(["admin", "ops:read"]);
    expect(parseRoles("")).toEqual([]);
    expect(parseRoles(undefined)).toEqual([]);
    expect(parseRoles('["viewer","ops"]')).toEqual(["viewer", "ops"]);
    expect(parseRoles("[]")).toEqual([]);
  });
});
