import type { KeyPattern, KeyPartSpec, PartValues } from "./key-pattern.js";

/**
 * A service's Redis keys as data: the single definition from which its key
 * builders, the keyspace audit's patterns, the namespace sampler's prefixes
 * and docs/key-schema.md are derived.
 */
export interface KeySchema<K extends Record<string, KeyPattern> = Record<string, KeyPattern>> {
  /** The owning service, e.g. "session-svc". */
  readonly service: string;
  readonly keys: K;
  /** Markdown paragraphs printed under the service's tables in docs/key-schema.md. */
  readonly notes: readonly string[];
  /** Key prefixes the service owns (the literal text of each template up to its first `:`), for the sampler. */
  readonly namespaces: readonly string[];
}

/** Builds a KeySchema, deriving its namespaces from the key templates. */
export function defineKeySchema<K extends Record<string, KeyPattern>>(definition: {
  service: string;
  keys: K;
  notes?: readonly string[];
}): KeySchema<K> {
  const namespaces = [...new Set(Object.values(definition.keys).map((key) => `${key.template.split(":")[0]}:`))];
  return { service: definition.service, keys: definition.keys, notes: definition.notes ?? [], namespaces };
}

/** A schema's typed builders: `builders.session(sessionId)` for key `session`. */
export type KeyBuilders<K extends Record<string, KeyPattern>> = {
  readonly [N in keyof K]: K[N] extends KeyPattern<infer P extends readonly KeyPartSpec[]> ? (...values: PartValues<P>) => string : never;
};

/** The typed, validating key builders of a schema. */
export function keyBuilders<K extends Record<string, KeyPattern>>(schema: KeySchema<K>): KeyBuilders<K> {
  const builders: Record<string, (...values: string[]) => string> = {};
  for (const [name, pattern] of Object.entries(schema.keys)) {
    builders[name] = (...values: string[]) => (pattern as KeyPattern).build(...(values as PartValues<readonly KeyPartSpec[]>));
  }
  return builders as KeyBuilders<K>;
}
