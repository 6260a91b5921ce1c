import { Gauge, type Registry } from "prom-client";
import type { Logger } from "pino";
import { scanKeys } from "./scan-keys.js";
import type { RedisClient } from "./client.js";

/**
 * Redis monitoring (seed "next steps"): key count and estimated memory per
 * key namespace, gathered in the background with SCAN (never KEYS, never on
 * a request path) and MEMORY USAGE on a sample of keys. On Cluster every
 * master is scanned.
 */
export class NamespaceSampler {
  readonly #keys: Gauge<"namespace">;
  readonly #memory: Gauge<"namespace">;
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(
    private readonly client: RedisClient,
    private readonly namespaces: readonly string[],
    registry: Registry,
    private readonly logger: Logger,
    private readonly sampleSize = 20,
  ) {
    this.#keys = new Gauge({
      name: "redis_keys",
      help: "Keys per namespace (background SCAN).",
      labelNames: ["namespace"],
      registers: [registry],
    });
    this.#memory = new Gauge({
      name: "redis_memory_bytes",
      help: "Estimated memory per namespace: MEMORY USAGE of a key sample times the key count.",
      labelNames: ["namespace"],
      registers: [registry],
    });
  }

  /** Samples now and then every `intervalMs`. */
  start(intervalMs: number): this {
    void this.sample();
    this.#timer ??= setInterval(() => void this.sample(), intervalMs).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** One pass over the keyspace; skipped when one is still running or Redis is away. */
  async sample(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      for (const namespace of this.namespaces) {
        const { count, sample } = await this.#scan(`${namespace}*`);
        const sizes = await Promise.all(sample.map((key) => this.client.memory("USAGE", key).catch(() => null)));
        const known = sizes.filter((s): s is number => typeof s === "number");
        const average = known.length === 0 ? 0 : known.reduce((a, b) => a + b, 0) / known.length;
        this.#keys.set({ namespace }, count);
        this.#memory.set({ namespace }, Math.round(average * count));
      }
    } catch (error) {
      this.logger.debug({ err: error }, "keyspace sample skipped");
    } finally {
      this.#running = false;
    }
  }

  async #scan(match: string): Promise<{ count: number; sample: string[] }> {
    let count = 0;
    const sample: string[] = [];
    for await (const key of scanKeys(this.client, match)) {
      count++;
      if (sample.length < this.sampleSize) sample.push(key);
    }
    return { count, sample };
  }
}
