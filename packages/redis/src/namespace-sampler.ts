import { Cluster } from "ioredis";
import { Gauge, type Registry } from "prom-client";
import type { Logger } from "pino";
import { scanKeys } from "./scan-keys.js";
import type { RedisClient } from "./client.js";

/** Up to this many keys on every Redis node, a pass counts exactly with SCAN; above, it estimates from random keys. */
export const EXACT_COUNT_UP_TO = 100_000;
/** Random keys (RANDOMKEY, O(1) each) a pass reads per node once the keyspace is larger. */
export const RANDOM_KEYS_PER_NODE = 2000;
/** RANDOMKEYs sent together: a pass takes RANDOM_KEYS_PER_NODE / this round trips per node. */
const RANDOM_KEYS_PER_BATCH = 100;

/**
 * Redis monitoring (seed "next steps"): key count and estimated memory per
 * key namespace, gathered in the background (never KEYS, never on a request
 * path) with MEMORY USAGE on a sample of keys. Counts are exact (SCAN) while
 * every node holds at most EXACT_COUNT_UP_TO keys; above, they are DBSIZE
 * times the share of each namespace among RANDOM_KEYS_PER_NODE random keys,
 * so a pass costs Redis the same at any size instead of walking every key
 * (a million sessions took seconds of Redis time per pass, delaying calls).
 * On Cluster every master is sampled.
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
      help: "Keys per namespace (background SCAN; estimated from random keys above 100k keys per node).",
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

  /** Stops the interval; a later start() begins a new one. */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One pass over the keyspace; skipped when one is still running or Redis is away. */
  async sample(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const nodes = this.client instanceof Cluster ? this.client.nodes("master") : [this.client];
      const sizes = await Promise.all(nodes.map((node) => node.dbsize()));
      const estimates = sizes.every((size) => size <= EXACT_COUNT_UP_TO) ? undefined : await this.#estimate(nodes, sizes);
      for (const namespace of this.namespaces) {
        const { count, sample } = estimates?.get(namespace) ?? (await this.#scan(`${namespace}*`));
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

  /** Per namespace: its keys estimated from random ones on each node, and up to sampleSize of them. */
  async #estimate(nodes: readonly RedisClient[], sizes: readonly number[]): Promise<Map<string, { count: number; sample: string[] }>> {
    const found = new Map(this.namespaces.map((namespace) => [namespace, { count: 0, sample: [] as string[] }]));
    for (const [i, node] of nodes.entries()) {
      const drawn: string[] = [];
      // In batches: all at once they would leave in one write and hold Redis ~1 ms ahead of real calls.
      for (let taken = 0; taken < RANDOM_KEYS_PER_NODE; taken += RANDOM_KEYS_PER_BATCH) {
        const keys = await Promise.all(Array.from({ length: RANDOM_KEYS_PER_BATCH }, () => node.randomkey()));
        drawn.push(...keys.filter((key): key is string => key !== null));
      }
      for (const [namespace, entry] of found) {
        const matching = drawn.filter((key) => key.startsWith(namespace));
        if (drawn.length > 0) entry.count += Math.round((sizes[i]! * matching.length) / drawn.length);
        for (const key of new Set(matching)) if (entry.sample.length < this.sampleSize) entry.sample.push(key);
      }
    }
    return found;
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
