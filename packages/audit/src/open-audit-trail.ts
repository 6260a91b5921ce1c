import type { RedisClient } from "@faultmaven/redis";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { AuditConfig } from "./audit-config.js";
import { createAuditLogger } from "./audit-logger.js";
import { AuditMetrics } from "./audit-metrics.js";
import { AuditTrail } from "./audit-trail.js";
import { MemoryAuditLog } from "./memory-audit-log.js";
import { RedisAuditLog } from "./redis-audit-log.js";

const MEMORY_MAX_LEN = 10_000;

/**
 * A service's audit trail: on its Redis stream (`streamKey`) when the
 * service runs on Redis, else in memory (capped alike). `logger` gets the
 * trail's own warnings (stream unreachable, records dropped).
 */
export function openAuditTrail(options: {
  service: string;
  /** The service's audit stream key (its key schema's `audit`, from auditStreamPattern). */
  streamKey: string;
  /** The service's Redis client; undefined on the in-memory fallback. */
  client: RedisClient | undefined;
  config: AuditConfig;
  logger: Logger;
  registry?: Registry;
  /** Where audit lines go (default: a createAuditLogger on stdout). */
  auditLogger?: Logger;
}): AuditTrail {
  const metrics = new AuditMetrics(options.registry);
  const log = options.client
    ? new RedisAuditLog(
        options.client,
        options.streamKey,
        { maxLen: options.config.streamMaxLen, queueMax: options.config.queueMax },
        metrics,
        options.logger,
      )
    : // The development fallback keeps at most 10000 records in the process.
      new MemoryAuditLog(Math.min(options.config.streamMaxLen, MEMORY_MAX_LEN));
  return new AuditTrail(options.service, log, options.auditLogger ?? createAuditLogger(options.service), metrics);
}
