import { performance } from "node:perf_hooks";
import { outsideCallScope } from "@faultmaven/call-scope";
import type { RedisClient } from "./client.js";

/** How often the offset is measured again (clocks drift; NTP steps them). */
const RESAMPLE_MS = 30_000;

/**
 * This process's estimate of the Redis clock (the clock the scripts read
 * with TIME): its offset from this process's monotonic clock, measured by a
 * TIME round trip on every (re)connect and every 30 s, with its uncertainty
 * (half that round trip). Monotonic, so a step of the wall clock (NTP)
 * between two measurements does not move the estimate. Until the first
 * measurement the wall clock stands in, with a large uncertainty.
 */
export class RedisClock {
  #offsetMs = Date.now() - performance.now();
  #uncertaintyMs = 50;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly client: RedisClient) {
    client.on("ready", () => void this.#sample());
    this.#timer = setInterval(() => void this.#sample(), RESAMPLE_MS).unref();
  }

  /** The time now in Redis's clock (Unix ms), and how far off that may be. */
  now(): { ms: number; uncertaintyMs: number } {
    return { ms: performance.now() + this.#offsetMs, uncertaintyMs: this.#uncertaintyMs };
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #sample(): Promise<void> {
    if (this.client.status !== "ready" && this.client.status !== "connect") return;
    try {
      const sent = performance.now();
      const [seconds, micros] = await outsideCallScope(() => this.client.time());
      const received = performance.now();
      const redisMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      this.#offsetMs = Math.round(redisMs - (sent + received) / 2);
      this.#uncertaintyMs = Math.ceil((received - sent) / 2) + 1;
    } catch {
      // Keep the last estimate; the next sample or reconnect tries again.
    }
  }
}
