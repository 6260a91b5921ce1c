import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Production images install only `dependencies` (pnpm deploy --prod): every
 * package a workspace member's src/ imports must be declared there, not only
 * in devDependencies or hoisted from a neighbour.
 */
const members = ["packages", "services"].flatMap((root) => readdirSync(root).map((name) => join(root, name)));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".spec.ts") ? [path] : [];
  });
}

it.each(members)("%s declares what its src/ imports", (member) => {
  const manifest = JSON.parse(readFileSync(join(member, "package.json"), "utf8")) as {
    name: string;
    dependencies?: Record<string, string>;
  };
  const declared = new Set(Object.keys(manifest.dependencies ?? {}));
  const missing = new Set<string>();
  for (const file of sourceFiles(join(member, "src"))) {
    for (const match of readFileSync(file, "utf8").matchAll(/^(?:import|export)[^"']*from\s+["']([^"']+)["']/gm)) {
      const specifier = match[1]!;
      if (specifier.startsWith(".") || specifier.startsWith("node:")) continue;
      const name = specifier.startsWith("@") ? specifier.split("/").slice(0, 2).join("/") : specifier.split("/")[0]!;
      if (name !== manifest.name && !declared.has(name)) missing.add(`${name} (in ${file})`);
    }
  }
  expect([...missing]).toEqual([]);
});
