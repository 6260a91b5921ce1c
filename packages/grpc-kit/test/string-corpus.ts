/**
 * Strings that probe an id or key format at its edges: every length bound
 * the contract uses, every ASCII character in the middle and alone, "..",
 * "__proto__", line breaks, non-ASCII letters, emoji (two UTF-16 units, one
 * character), a lone surrogate, each id prefix with 0-65 characters after
 * it, e-mail shapes, and seeded random strings over a mix of allowed and
 * refused characters. The same list on every run.
 */
export function stringCorpus(): string[] {
  const corpus = new Set<string>(["", "..", "a..b", ".a.", "a.b", "__proto__", "__proto__x", "constructor", "abc\n", "\nabc", "a b"]);
  const lengths = [1, 2, 3, 4, 15, 16, 17, 21, 22, 23, 63, 64, 65, 127, 128, 129, 253, 254, 255];
  for (const n of lengths) {
    corpus.add("a".repeat(n));
    corpus.add("é".repeat(n));
    corpus.add("😀".repeat(n));
    corpus.add(`${"a".repeat(n - 1)}..`);
  }
  for (let code = 0; code < 128; code++) {
    const ch = String.fromCharCode(code);
    corpus.add(ch);
    corpus.add(`ab${ch}cd`);
    corpus.add(`${"x".repeat(63)}${ch}`);
  }
  for (const ch of ["é", "ü", "中", "😀", "\u0085", "\u00a0", "\u200b", "\u2028", "\ud800", "\udc00", "\ufeff"]) {
    corpus.add(ch);
    corpus.add(`ab${ch}cd`);
  }
  for (const prefix of ["sess_", "usr_", "tok_", "rep_", "SESS_", "sess", "usr-", ""]) {
    for (const n of [0, 1, 15, 16, 17, 21, 22, 23, 63, 64, 65]) {
      corpus.add(prefix + "A".repeat(n));
      corpus.add(prefix + "a_-9".repeat(n).slice(0, n));
      if (n > 0) corpus.add(`${prefix}${"A".repeat(n - 1)}*`);
    }
  }
  for (const email of [
    "a@b.c",
    "a@b",
    "a@b..c",
    "a.b+c@d-e.f.g",
    "@b.c",
    "a@.c",
    "a@b.c.",
    "a@@b.c",
    "a@b.c\n",
    "A_B@EXAMPLE.COM",
    "a@b_c.d",
  ]) {
    corpus.add(email);
  }
  corpus.add(`${"x".repeat(248)}@b.com`);
  corpus.add(`${"x".repeat(249)}@b.com`);
  const alphabet = ["a", "Z", "0", "9", "_", ".", "-", "@", "+", ":", "*", "{", "}", " ", "é", "😀", "\n", "\u0000", "sess_", "__proto__"];
  let seed = 42;
  const next = (bound: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % bound;
  };
  for (let i = 0; i < 400; i++) {
    const pieces = next(i % 4 === 0 ? 140 : 24);
    // Half of them only from characters most formats allow.
    const pool = i % 2 === 0 ? alphabet.length : 9;
    let text = "";
    for (let j = 0; j < pieces; j++) text += alphabet[next(pool)];
    corpus.add(text);
  }
  return [...corpus];
}
