import { readFileSync } from "node:fs";
import { renderKeySchemaDoc } from "@faultmaven/keyspace";
import { defineKeySchema, KeyPattern, part } from "@faultmaven/redis";
import { KEY_SCHEMAS } from "../scripts/key-schemas.js";

/** docs/key-schema.md is generated (`pnpm docs:keys`); a schema change without a regenerated doc fails here. */
describe("docs/key-schema.md", () => {
  it("is exactly what `pnpm docs:keys` renders from the three services' key schemas", () => {
    expect(readFileSync("docs/key-schema.md", "utf8")).toBe(renderKeySchemaDoc(KEY_SCHEMAS));
  });

  it("changes when any schema gains a key, so a stale doc cannot pass the check above", () => {
    const extra = defineKeySchema({
      service: "extra-svc",
      keys: { thing: new KeyPattern("extra:{thing_id}", [part("thing_id")], { type: "String", ttl: "none", writtenBy: "Nothing" }) },
    });
    const rendered = renderKeySchemaDoc([...KEY_SCHEMAS, extra]);
    expect(rendered).not.toBe(renderKeySchemaDoc(KEY_SCHEMAS));
    expect(rendered).toContain("| `extra:{thing_id}` | String | none | Nothing    |");
  });

  it("lists every key template of every service", () => {
    const doc = readFileSync("docs/key-schema.md", "utf8");
    for (const schema of KEY_SCHEMAS) for (const key of Object.values(schema.keys)) expect(doc).toContain(`| \`${key.template}\``);
  });
});
