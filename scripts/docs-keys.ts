/**
 * `pnpm docs:keys`: writes docs/key-schema.md from the services' key
 * schemas. `pnpm docs:keys --check` writes nothing and exits 1 when the
 * checked-in file differs from what the schemas give.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { renderKeySchemaDoc } from "@faultmaven/keyspace";
import { KEY_SCHEMAS } from "./key-schemas.js";

const path = new URL("../docs/key-schema.md", import.meta.url);
const rendered = renderKeySchemaDoc(KEY_SCHEMAS);
if (process.argv.includes("--check")) {
  if (readFileSync(path, "utf8") !== rendered) {
    console.error("docs/key-schema.md is stale: run `pnpm docs:keys` and commit the result");
    process.exitCode = 1;
  }
} else {
  writeFileSync(path, rendered);
  console.log("wrote docs/key-schema.md");
}
