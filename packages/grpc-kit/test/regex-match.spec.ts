import { getOption } from "@bufbuild/protobuf";
import { predefined } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { file_faultmaven_validate_v1_rules } from "@faultmaven/contract/validate";
import { PLATFORM_PATTERNS, re2Match, regexMatch } from "../src/regex-match.js";
import { stringCorpus } from "./string-corpus.js";

/** The patterns of `this.matches('...')` in the predefined rules, CEL escapes undone. */
function rulePatterns(): string[] {
  const patterns: string[] = [];
  for (const extension of file_faultmaven_validate_v1_rules.extensions) {
    for (const rule of getOption(extension, predefined).cel) {
      for (const [, literal] of rule.expression.matchAll(/matches\('((?:[^'\\]|\\.)*)'\)/g)) {
        patterns.push(literal!.replace(/\\(.)/g, "$1"));
      }
    }
  }
  return patterns;
}

describe("regexMatch", () => {
  it("lists only patterns the predefined rules use, and all of them but the Unicode one", () => {
    const used = rulePatterns();
    expect(PLATFORM_PATTERNS.filter((pattern) => !used.includes(pattern))).toEqual([]);
    expect(used.filter((pattern) => !PLATFORM_PATTERNS.includes(pattern))).toEqual(["^\\P{Cc}*$"]);
  });

  it.each(PLATFORM_PATTERNS)("matches %s exactly as RE2 does, over the whole corpus", (pattern) => {
    const corpus = stringCorpus();
    expect(corpus.filter((value) => regexMatch(pattern, value) !== re2Match(pattern, value))).toEqual([]);
    expect(corpus.some((value) => re2Match(pattern, value))).toBe(true);
  });

  it("leaves other patterns to RE2, whose \\S and \\P{Cc} are not RegExp's", () => {
    // RE2's \S is ASCII: a no-break space is not white space to it, as it is to RegExp.
    expect(regexMatch("\\S", "\u00a0")).toBe(true);
    expect(/\S/.test("\u00a0")).toBe(false);
    expect(regexMatch("^\\P{Cc}*$", "a\u0085b")).toBe(false);
  });
});
