import { outsideCallScope } from "@faultmaven/call-scope";
import { callRedis, isRedisUnavailable, type RedisClient } from "@faultmaven/redis";
import type { Logger } from "pino";
import type { AuditLog, AuditPage } from "./audit-log.js";
import type { AuditMetrics } from "./audit-metrics.js";
import { type AuditRecord, fromStreamEntry, toStreamFields } from "./audit-record.js";

/** How the Redis audit log writes: the stream's cap, the queue's bound, and how long close waits. */
export interface RedisAuditLogOptions {
  /** XADD MAXLEN ~: the stream keeps about this many newest records. */
  readonly maxLen: number;
  /** Records waiting for Redis beyond this are dropped (and counted). */
  readonly queueMax: number;
  /** Records per pipelined flush. */
  readonly batch?: number;
  /** Wait before writing again after Redis could not be reached. */
  readonly retryMs?: number;
  /** How long close() keeps flushing what is queued. */
  readonly closeTimeoutMs?: number;
}

/**
 * The audit trail's Redis stream. `append` only queues: a background flush,
 * outside any call's scope (a call's deadline or cancellation never stops
 * it), writes the queue in pipelined XADD batches, so an audited call
 * neither waits for the record nor fails with it. While Redis is away the
 * queue keeps records in order and the flush retries; past `queueMax` new
 * records are dropped, counted in `audit_records_dropped_total` and
 * logged. Every record is also in the log (AuditTrail), which is the copy
 * that survives a crash. A batch whose reply was lost (a timeout) is
 * written again: a record may then appear twice, never silently vanish.
 */
export class RedisAuditLog implements AuditLog {
  readonly #queue: AuditRecord[] = [];
  #flushing: Promise<void> | undefined;
  #retry: NodeJS.Timeout | undefined;
  #closed = false;
  /** Set from the first drop until a write succeeds again: one log line per episode, the counter counts each. */
  #dropping = false;
  /** Set from the first failed write until one succeeds: one warning per outage, not one per retry. */
  #unreachable = false;

  constructor(
    private readonly client: RedisClient,
    private readonly key: string,
    private readonly options: RedisAuditLogOptions,
    private readonly metrics: AuditMetrics,
    private readonly logger: Logger,
  ) {
    metrics.watchQueue(() => this.#queue.length);
  }

  append(record: AuditRecord): void {
    if (this.#queue.length >= this.options.queueMax) {
      this.metrics.dropped(1);
      if (!this.#dropping)
        this.logger.error({ queue_max: this.options.queueMax }, "audit queue full: records dropped from the stream (they are in the log)");
      this.#dropping = true;
      return;
    }
    this.#queue.push(record);
    if (this.#flushing === undefined && this.#retry === undefined) this.#startFlush();
  }

  async page(before: string | undefined, size: number): Promise<AuditPage> {
    const entries = await callRedis(() =>
      this.client.xrevrange(this.key, before === undefined ? "+" : `(${before}`, "-", "COUNT", size + 1),
    );
    const records = entries.slice(0, size).map(([id, fields]) => fromStreamEntry(id, fields));
    return { records, next: entries.length > size ? records.at(-1)!.id : undefined };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    if (this.#queue.length > 0 && this.#flushing === undefined) this.#startFlush();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.closeTimeoutMs ?? 2000);
    });
    await Promise.race([this.#flushing, timeout]);
    clearTimeout(timer);
    if (this.#queue.length > 0) {
      this.metrics.dropped(this.#queue.length);
      this.logger.error({ records: this.#queue.length }, "audit records not written to Redis before shutdown (they are in the log)");
      this.#queue.length = 0;
    }
  }

  #startFlush(): void {
    // After the current call's answer is on its way, and never inside its scope.
    this.#flushing = outsideCallScope(() =>
      new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => this.#flush())
        .catch((error: unknown) => {
          // A bug, not an outage: never an unhandled rejection; the records wait for the next try.
          this.logger.error({ err: error }, "audit flush failed");
          this.#scheduleRetry();
        }),
    );
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.slice(0, this.options.batch ?? 100);
        const written = await this.#write(batch);
        this.#queue.splice(0, written);
        if (written < batch.length) {
          // Redis is away: keep the rest, in order, and try again later (unless shutting down).
          this.#scheduleRetry();
          return;
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  #scheduleRetry(): void {
    if (!this.#closed && this.#retry === undefined) {
      this.#retry = setTimeout(() => this.#retryFlush(), this.options.retryMs ?? 1000).unref();
    }
  }

  #retryFlush(): void {
    this.#retry = undefined;
    if (this.#queue.length > 0) this.#startFlush();
  }

  /** Writes `batch` in one pipeline; returns how many leading records are done (written, or refused for good). */
  async #write(batch: readonly AuditRecord[]): Promise<number> {
    const pipeline = this.client.pipeline();
    for (const record of batch) pipeline.xadd(this.key, "MAXLEN", "~", this.options.maxLen, "*", ...toStreamFields(record));
    let results: [Error | null, unknown][];
    try {
      results = (await pipeline.exec()) ?? [];
    } catch (error) {
      this.#logUnwritten(error);
      return 0;
    }
    if (results.some(([error]) => error === null)) {
      this.#dropping = false;
      if (this.#unreachable) this.logger.info({ queued: this.#queue.length }, "audit stream reachable again: writing the queued records");
      this.#unreachable = false;
    }
    let done = 0;
    let refused = 0;
    for (const [error] of results) {
      if (error !== null && isRedisUnavailable(error)) {
        this.#logUnwritten(error);
        break;
      }
      // Written, or refused for good (an answer such as WRONGTYPE, not an outage: retrying would never help).
      if (error !== null) refused++;
      done++;
    }
    if (refused > 0) {
      this.metrics.dropped(refused);
      this.logger.error({ records: refused }, "audit records refused by Redis (they are in the log)");
    }
    return results.length === batch.length ? done : 0;
  }

  #logUnwritten(error: unknown): void {
    if (this.#unreachable) return;
    this.#unreachable = true;
    const message = error instanceof Error ? error.message : String(error);
    this.logger.warn({ queued: this.#queue.length, err: message }, "audit stream unreachable: records queued for a retry");
  }
}
