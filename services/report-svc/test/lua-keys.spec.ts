import { LuaScript } from "@faultmaven/redis";
import { reportKeySchema } from "../src/redis/key-schema.js";
import * as atomicScripts from "../src/redis/scripts.js";
import * as idempotencyScripts from "../src/redis/idempotency-scripts.js";
import * as intentScripts from "../src/redis/save-intent-scripts.js";

const scripts = [atomicScripts, idempotencyScripts, intentScripts].flatMap((module) =>
  Object.values(module).filter((value): value is LuaScript => value instanceof LuaScript),
);

/** Redis' scripting rule: a script touches only the keys it is given in KEYS, so none of ours spells a key name. */
describe("report-svc Lua scripts", () => {
  it("exist (the check below has something to check)", () => {
    expect(scripts.length).toBeGreaterThan(1);
  });

  it.each(scripts.map((script) => [script.name, script] as const))(
    "%s writes no key name of the schema (its keys come in KEYS)",
    (_, script) => {
      for (const namespace of reportKeySchema.namespaces) expect(script.source).not.toMatch(new RegExp(`['"]${namespace}`));
    },
  );
});
