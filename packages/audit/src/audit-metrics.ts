import { Counter, Gauge, type Registry } from "prom-client";

/** The audit trail's Prometheus metrics. */
export class AuditMetrics {
  readonly #recorded: Counter<"action" | "outcome">;
  readonly #dropped: Counter;
  readonly #registry: Registry | undefined;

  constructor(registry?: Registry) {
    this.#registry = registry;
    const registers = registry ? [registry] : [];
    this.#recorded = new Counter({
      name: "audit_records_total",
      help: "Audit records made (each is logged, and queued for the audit stream), by action and outcome.",
      labelNames: ["action", "outcome"],
      registers,
    });
    this.#dropped = new Counter({
      name: "audit_records_dropped_total",
      help: "Audit records logged but not written to the audit stream: the queue was full (AUDIT_QUEUE_MAX), Redis refused them, or shutdown came first.",
      registers,
    });
  }

  recorded(action: string, outcome: string): void {
    this.#recorded.inc({ action, outcome });
  }

  dropped(count: number): void {
    this.#dropped.inc(count);
  }

  /** Exposes the records waiting for Redis as a gauge, read at each scrape. */
  watchQueue(length: () => number): void {
    new Gauge({
      name: "audit_records_queued",
      help: "Audit records waiting to be written to the audit stream.",
      registers: this.#registry ? [this.#registry] : [],
      collect() {
        this.set(length());
      },
    });
  }

  /** Dropped so far (for tests and the shutdown line). */
  async droppedCount(): Promise<number> {
    return (await this.#dropped.get()).values[0]?.value ?? 0;
  }
}
