import { InvalidArgumentError } from "@faultmaven/errors";
import { DEFAULT_KEY_PART_MAX_LENGTH, keyPart, type KeyPartRules, SAFE_KEY_PART_CHARS } from "./key-part.js";

/** One `{placeholder}` of a key template and what it may hold. */
export interface KeyPartSpec<T extends string = string> {
  /** The placeholder's name in the template. */
  readonly name: string;
  /** The request field named in INVALID_ARGUMENT (defaults to `name`). */
  readonly field: string;
  /** Validation of free-form parts (see keyPart). */
  readonly rules: KeyPartRules;
  /** A closed set of values instead of free-form input. */
  readonly values?: readonly T[];
}

/** A free-form part, validated by keyPart (charset, length, optional pattern). */
export function part(name: string, rules: KeyPartRules & { field?: string } = {}): KeyPartSpec<string> {
  const { field, ...rest } = rules;
  return { name, field: field ?? name, rules: rest };
}

/** A part drawn from a closed set (for example a report type). */
export function oneOf<const T extends string>(name: string, values: readonly T[]): KeyPartSpec<T> {
  return { name, field: name, rules: {}, values };
}

/** What the key holds, for docs/key-schema.md. */
export interface KeyDoc {
  /** Redis type, with what it holds ("String: session_id"). */
  readonly type: string;
  /** TTL rule. */
  readonly ttl: string;
  /** The RPCs that write or remove it. */
  readonly writtenBy: string;
  /** Hash fields: [field(s), meaning]. */
  readonly fields?: readonly (readonly [string, string])[];
}

/** The argument types of a pattern's builder, one per part in template order. */
export type PartValues<P extends readonly KeyPartSpec[]> = { [I in keyof P]: P[I] extends KeyPartSpec<infer T> ? T : never };

/**
 * One key of the schema: a template such as `client_session:{user_id}:{client_id}`
 * with its parts, from which the validated builder and the audit's regular
 * expression are both derived.
 */
export class KeyPattern<const P extends readonly KeyPartSpec[] = readonly KeyPartSpec[]> {
  /** Matches every key this pattern can build (used by the keyspace audit). */
  readonly regex: RegExp;
  /** The literal text before the first placeholder. */
  readonly prefix: string;
  readonly #pieces: readonly string[];

  constructor(
    readonly template: string,
    readonly parts: P,
    readonly doc: KeyDoc,
  ) {
    const names = [...template.matchAll(/\{([a-z0-9_]+)\}/g)].map((m) => m[1]);
    if (names.join(",") !== parts.map((p) => p.name).join(",")) {
      throw new Error(`key template ${template} names {${names.join("}, {")}}, its parts are ${parts.map((p) => p.name).join(", ")}`);
    }
    this.#pieces = template.split(/\{[a-z0-9_]+\}/);
    this.prefix = this.#pieces[0]!;
    const body = this.#pieces.map((piece, i) => escapeRegExp(piece) + (i < parts.length ? partRegex(parts[i]!) : "")).join("");
    this.regex = new RegExp(`^${body}$`);
  }

  /** The key for these parts; each is validated (INVALID_ARGUMENT naming its field) before it is used. */
  build(...values: PartValues<P>): string {
    return this.#pieces.map((piece, i) => piece + (i < this.parts.length ? checked(this.parts[i]!, values[i]!) : "")).join("");
  }

  matches(key: string): boolean {
    return this.regex.test(key);
  }
}

function checked(spec: KeyPartSpec, value: string): string {
  if (spec.values === undefined) return keyPart(spec.field, value, spec.rules);
  if (!spec.values.includes(value)) throw new InvalidArgumentError(spec.field, `must be one of ${spec.values.join(", ")}`);
  return value;
}

function partRegex(spec: KeyPartSpec): string {
  if (spec.values) return `(?:${spec.values.map(escape).join("|")})`;
  if (spec.rules.pattern) return `(?:${spec.rules.pattern.source.replace(/^\^/, "").replace(/\$$/, "")})`;
  return `${SAFE_KEY_PART_CHARS}{1,${spec.rules.maxLength ?? DEFAULT_KEY_PART_MAX_LENGTH}}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
