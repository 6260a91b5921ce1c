import { LuaScript } from "@faultmaven/redis";
import { sessionKeySchema } from "../src/redis/key-schema.js";
import * as sessionScripts from "../src/redis/scripts/session-scripts.js";
import * as indexScripts from "../src/redis/scripts/index-scripts.js";
import * as createScripts from "../src/redis/scripts/create-or-resume-script.js";

const scripts = [sessionScripts, indexScripts, createScripts].flatMap((module) =>
  Object.values(module).filter((value): value is LuaScript => value instanceof LuaScript),
);

/** Redis' scripting rule: a script touches only the keys it is given in KEYS, so none of ours spells a key name. */
describe("session-svc Lua scripts", () => {
  it("exist (the check below has something to check)", () => {
    expect(scripts.length).toBeGreaterThan(1);
  });

  it.each(scripts.map((script) => [script.name, script] as const))(
    "%s writes no key name of the schema (its keys come in KEYS)",
    (_, script) => {
      for (const namespace of sessionKeySchema.namespaces) expect(script.source).not.toMatch(new RegExp(`['"]${namespace}`));
    },
  );
});
