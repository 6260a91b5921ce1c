/**
 * A counter or gauge read from a service's /metrics (Prometheus text):
 * the sum of its series whose labels include `labels`, 0 when none does.
 */
export async function metricValue(metricsPort: number, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let sum = 0;
  for (const [, labelText = "", value] of text.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? ([\\d.e+-]+)$`, "gm"))) {
    if (Object.entries(labels).every(([key, wanted]) => labelText.includes(`${key}="${wanted}"`))) sum += Number(value);
  }
  return sum;
}
