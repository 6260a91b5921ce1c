import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { scrapeMetrics } from "./metric-value.js";
import { metricIn } from "./metrics-text.js";
import type { ServiceProcess } from "./service-process.js";
import { waitFor } from "./wait-for.js";

/**
 * A service's live heap, measured after a full garbage collection: its heap
 * use polled under load depends on when V8 last collected the old
 * generation, so a leak check on it is noisy. A heap snapshot collects all
 * garbage first; the service writes one on SIGUSR2 when started with `env`.
 */
export class LiveHeap {
  readonly #dir = mkdtempSync(join(tmpdir(), "fm-heap-"));

  /** Add to the service's environment: node writes a snapshot into a folder of this object's on SIGUSR2. */
  get env(): Record<string, string> {
    return { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${this.#dir}` };
  }

  /** Bytes of heap in use right after a snapshot of `service` (the snapshot itself is deleted). */
  async bytes(service: ServiceProcess): Promise<number> {
    const written = readdirSync(this.#dir).length;
    service.requestHeapSnapshot();
    await waitFor("the heap snapshot", () => readdirSync(this.#dir).length > written, 60_000);
    // The snapshot is written on the service's main thread: /metrics answers once it is done.
    const used = metricIn(await scrapeMetrics(service.metricsPort), "nodejs_heap_size_used_bytes");
    if (used === undefined) throw new Error("the service exports no nodejs_heap_size_used_bytes");
    for (const file of readdirSync(this.#dir)) rmSync(join(this.#dir, file), { force: true });
    return used;
  }

  remove(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
