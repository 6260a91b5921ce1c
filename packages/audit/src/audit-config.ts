import { EnvReader } from "@faultmaven/config";

/** The audit trail's settings, read once at start. */
export interface AuditConfig {
  /** AUDIT_STREAM_MAX_LEN (default 100000): the stream keeps about this many newest records (XADD MAXLEN ~). */
  readonly streamMaxLen: number;
  /** AUDIT_QUEUE_MAX (default 10000): records waiting for Redis beyond this are dropped from the stream (not from the log). */
  readonly queueMax: number;
}

export function readAuditConfig(env = new EnvReader()): AuditConfig {
  return {
    streamMaxLen: env.integer("AUDIT_STREAM_MAX_LEN", 100_000, 100, 10_000_000),
    queueMax: env.integer("AUDIT_QUEUE_MAX", 10_000, 100, 1_000_000),
  };
}
