import { LuaScript } from "@faultmaven/redis";
import { authKeySchema } from "../src/redis/key-schema.js";
import * as idempotencyScripts from "../src/redis/idempotency-scripts.js";
import * as loginAttemptScripts from "../src/redis/login-attempt-scripts.js";
import * as revocationScripts from "../src/redis/revocation-scripts.js";
import * as authScripts from "../src/redis/scripts.js";

const scripts = [authScripts, idempotencyScripts, loginAttemptScripts, revocationScripts].flatMap((module) =>
  Object.values(module).filter((value): value is LuaScript => value instanceof LuaScript),
);

/** Redis' scripting rule: a script touches only the keys it is given in KEYS, so none of ours spells a key name. */
describe("auth-svc Lua scripts", () => {
  it("exist (the check below has something to check)", () => {
    expect(scripts.length).toBeGreaterThan(1);
  });

  it.each(scripts.map((script) => [script.name, script] as const))(
    "%s writes no key name of the schema (its keys come in KEYS)",
    (_, script) => {
      for (const namespace of authKeySchema.namespaces) expect(script.source).not.toMatch(new RegExp(`['"]${namespace}`));
    },
  );
});
