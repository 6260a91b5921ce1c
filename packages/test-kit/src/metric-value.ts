import { metricIn } from "./metrics-text.js";

/** A service's /metrics page (Prometheus text). */
export async function scrapeMetrics(metricsPort: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
}

/**
 * A counter or gauge read from a service's /metrics (Prometheus text):
 * the sum of the series named `name` whose labels have every value in `labels`, 0 when none does.
 */
export async function metricValue(metricsPort: number, name: string, labels: Readonly<Record<string, string>> = {}): Promise<number> {
  return metricIn(await scrapeMetrics(metricsPort), name, labels) ?? 0;
}
