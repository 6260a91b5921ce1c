import { type DestinationStream, type Logger, pino } from "pino";

/**
 * The logger of audit lines: its own name ("audit") beside the service's
 * own loggers, so log pipelines can route them apart. Always at info,
 * whatever LOG_LEVEL says: an audit line is not debug output.
 */
export function createAuditLogger(service: string, destination?: DestinationStream): Logger {
  const options = { name: "audit", level: "info", base: { service }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(options, destination) : pino(options);
}
