import { RE2JS } from "@bufbuild/re2";

/**
 * The patterns of the contract's predefined rules
 * (proto/faultmaven/validate/v1/rules.proto) that the platform RegExp matches
 * exactly as RE2 does: anchored, ASCII character classes, bounded repetition,
 * no ambiguous alternation, so no backtracking hazard either. RE2 in pure
 * JavaScript takes about 2 µs a match, RegExp well under 0.1 µs; these run on
 * almost every call. protovalidate-es does the same for its own fixed formats.
 * test/regex-match.spec.ts checks both engines agree on each and that each is
 * still in rules.proto.
 */
export const PLATFORM_PATTERNS: readonly string[] = [
  "^[A-Za-z0-9_.@+-]{1,128}$",
  "^sess_[A-Za-z0-9_-]{16,64}$",
  "^usr_[A-Za-z0-9_-]{22}$",
  "^tok_[A-Za-z0-9_-]{16}$",
  "^rep_[A-Za-z0-9_-]{22}$",
  "^[A-Za-z0-9_.-]{1,64}$",
  "^[A-Za-z0-9_.@+-]{3,64}$",
  "^[A-Za-z0-9_.+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+$",
  "^[A-Za-z0-9_.:-]{1,64}$",
];

const platform = new Map(PLATFORM_PATTERNS.map((pattern) => [pattern, new RegExp(pattern)]));

// Patterns come from the contract, a fixed set; the bound only guards against
// a rule that builds its pattern from input.
const re2Limit = 256;
const re2 = new Map<string, RE2JS>();

/**
 * The `regexMatch` of grpc-kit's validator: RegExp for PLATFORM_PATTERNS, RE2
 * (protovalidate's own engine and contract) for every other pattern, such as
 * `string.pattern` rules and `\P{Cc}` or `\S`, where the engines differ.
 */
export function regexMatch(pattern: string, against: string): boolean {
  const fast = platform.get(pattern);
  if (fast !== undefined) return fast.test(against);
  return re2Match(pattern, against);
}

/** RE2 alone, as protovalidate's default matcher; compiled once per pattern. */
export function re2Match(pattern: string, against: string): boolean {
  let compiled = re2.get(pattern);
  if (compiled === undefined) {
    if (re2.size >= re2Limit) re2.clear();
    compiled = RE2JS.compile(pattern);
    re2.set(pattern, compiled);
  }
  return compiled.test(against);
}
