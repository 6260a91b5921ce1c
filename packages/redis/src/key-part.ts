import { InvalidArgumentError } from "@faultmaven/errors";

/** What a caller-supplied key part may look like. */
export interface KeyPartRules {
  /** Longest accepted value, in characters (default 128). */
  readonly maxLength?: number;
  /** Accepted characters (default: letters, digits, `_ . @ + -`). */
  readonly pattern?: RegExp;
  /** Human description of the pattern for the error message. */
  readonly patternDescription?: string;
}

/** The default key-part charset, as a regular-expression character class. */
export const SAFE_KEY_PART_CHARS = "[A-Za-z0-9_.@+-]";
const SAFE = new RegExp(`^${SAFE_KEY_PART_CHARS}+$`);
const SAFE_DESCRIPTION = "letters, digits and _ . @ + -";
/** The default longest key part, in characters. */
export const DEFAULT_KEY_PART_MAX_LENGTH = 128;

/**
 * Validates one caller-supplied part of a Redis key and returns it. The
 * default charset excludes the key separator `:`, glob characters
 * (`* ? [ ]`), Cluster hash-tag braces, `/`, whitespace and control
 * characters, so no input can reach outside its own key. `..` is refused
 * too, as it never names anything legitimate. Throws INVALID_ARGUMENT naming
 * `field`.
 */
export function keyPart(field: string, value: string, rules: KeyPartRules = {}): string {
  const maxLength = rules.maxLength ?? DEFAULT_KEY_PART_MAX_LENGTH;
  if (value.length === 0) throw new InvalidArgumentError(field, "is required");
  if (value.length > maxLength) {
    throw new InvalidArgumentError(field, `must be at most ${maxLength} characters`);
  }
  const pattern = rules.pattern ?? SAFE;
  if (!pattern.test(value) || value.includes("..")) {
    throw new InvalidArgumentError(field, `may contain only ${rules.patternDescription ?? SAFE_DESCRIPTION}`);
  }
  return value;
}
