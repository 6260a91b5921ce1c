import { createHash } from "node:crypto";
import type { Embedder } from "./embedder.js";

const STOPWORDS = new Set(
  "a an and are as at be by for from has have how i in is it its of on or that the this to was were what when where which who why will with we our after before during into out over under not no".split(
    " ",
  ),
);

/**
 * The offline default embedding: feature hashing of word stems and word
 * bigrams (sublinear term frequency, L2-normalised, 1024 dimensions). No
 * model download, deterministic, and good enough to rank a report above
 * unrelated ones when a query shares its vocabulary ("disk full on db",
 * "postgres replication lag"). Set EMBEDDING_PROVIDER=openai for a real
 * semantic model.
 */
export class HashingEmbedder implements Embedder {
  readonly model = "faultmaven-hashing-v1";

  constructor(private readonly dimensions = 1024) {}

  async embed(texts: readonly string[]): Promise<number[][]> {
    return texts.map((text) => this.#vector(text));
  }

  #vector(text: string): number[] {
    const counts = new Map<number, number>();
    const words = tokens(text);
    const add = (feature: string, weight: number) => {
      const digest = createHash("md5").update(feature).digest();
      const index = digest.readUInt32LE(0) % this.dimensions;
      const sign = digest[4]! & 1 ? 1 : -1;
      counts.set(index, (counts.get(index) ?? 0) + sign * weight);
    };
    const tf = new Map<string, number>();
    for (const word of words) tf.set(word, (tf.get(word) ?? 0) + 1);
    for (const [word, count] of tf) add(`w:${word}`, 1 + Math.log(count));
    for (let i = 0; i + 1 < words.length; i++) add(`b:${words[i]} ${words[i + 1]}`, 0.5);
    const vector = Array.from({ length: this.dimensions }, (_, i) => counts.get(i) ?? 0);
    const norm = Math.hypot(...vector) || 1;
    return vector.map((v) => v / norm);
  }
}

/** Lower-cased word stems without stopwords. */
function tokens(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).filter((w) => !STOPWORDS.has(w) && w.length > 1).map(stem);
}

/** A light suffix stripper: "failures"/"failed"/"failing" -> "fail". */
function stem(word: string): string {
  for (const suffix of ["ations", "ation", "ings", "ing", "ies", "ied", "ed", "es", "s", "ly"]) {
    if (word.length > suffix.length + 3 && word.endsWith(suffix)) {
      return suffix === "ies" || suffix === "ied" ? `${word.slice(0, -suffix.length)}y` : word.slice(0, -suffix.length);
    }
  }
  return word;
}
