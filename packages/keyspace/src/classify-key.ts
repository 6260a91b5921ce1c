import type { KeySchema } from "@faultmaven/redis";

/** The seed's removed case storage (seed §5): never written, deleted by the audit when asked. */
export const DEPRECATED_KEYS: readonly { name: string; pattern: RegExp }[] = [
  { name: "case:{case_id}", pattern: /^case:[^:]+$/ },
  { name: "user:{user_id}:cases", pattern: /^user:[^:]+:cases$/ },
  { name: "case_index", pattern: /^case_index$/ },
];

/** Where a key falls in the schema; `name` is the key's template. */
export type KeyClass = { kind: "known"; name: string; owner: string } | { kind: "deprecated"; name: string } | { kind: "unknown" };

/** Sorts a key into the services' schemas, the deprecated keys, or unknown. */
export function classifyKey(key: string, schemas: readonly KeySchema[]): KeyClass {
  for (const schema of schemas) {
    for (const pattern of Object.values(schema.keys)) {
      if (pattern.matches(key)) return { kind: "known", name: pattern.template, owner: schema.service };
    }
  }
  const deprecated = DEPRECATED_KEYS.find((k) => k.pattern.test(key));
  if (deprecated) return { kind: "deprecated", name: deprecated.name };
  return { kind: "unknown" };
}
