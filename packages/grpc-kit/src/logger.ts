import { pino, type Logger } from "pino";
import { EnvReader } from "@faultmaven/config";

/** Paths pino replaces with "[redacted]" wherever they appear in a log object. */
export const REDACTED_PATHS = [
  "password",
  "*.password",
  "current_password",
  "*.current_password",
  "new_password",
  "*.new_password",
  "currentPassword",
  "*.currentPassword",
  "newPassword",
  "*.newPassword",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "*.headers.authorization",
  "hashedPassword",
  "*.hashedPassword",
  "password_hash",
  "*.password_hash",
];

/**
 * The process logger: JSON lines to stdout, level from LOG_LEVEL (default
 * info), secrets redacted. Request bodies are never logged as a rule; the
 * redaction is the second line of defence.
 */
export function createLogger(
  service: string,
  level = new EnvReader().oneOf("LOG_LEVEL", ["fatal", "error", "warn", "info", "debug", "trace", "silent"], "info"),
): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

export type { Logger };
