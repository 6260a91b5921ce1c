/** One sample line of the Prometheus text exposition format. */
export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

// name, optional {labels}, value (a timestamp may follow).
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const UNESCAPE: Record<string, string> = { n: "\n", '"': '"', "\\": "\\" };

/** Every sample in a /metrics page (comments and blank lines skipped). */
export function parseMetrics(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const line of text.split("\n")) {
    const match = line.startsWith("#") ? null : SAMPLE.exec(line);
    if (!match) continue;
    const [, name, labelText = "", value] = match;
    const labels: Record<string, string> = {};
    for (const [, key, raw] of labelText.matchAll(LABEL)) labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? c);
    samples.push({ name: name!, labels, value: parseValue(value!) });
  }
  return samples;
}

/**
 * The sum of the samples named exactly `name` whose labels have every value
 * in `labels` (other labels, such as `service`, may be anything); undefined
 * when no sample matches.
 */
export function metricIn(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | undefined {
  const matching = parseMetrics(text).filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted),
  );
  return matching.length === 0 ? undefined : matching.reduce((sum, sample) => sum + sample.value, 0);
}

function parseValue(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  return Number(text);
}
