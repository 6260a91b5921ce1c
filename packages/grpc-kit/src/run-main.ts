import type { Logger } from "pino";

/**
 * Runs a service's start-up. A failure (bad configuration, a store that
 * production requires but cannot reach) is logged as one clear fatal line
 * and on stderr, and the process exits 1 instead of half-starting. A busy
 * port names its address and the variable that moves it.
 */
export function runMain(logger: Logger, start: () => Promise<unknown>): void {
  start().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const known = error instanceof Error && /ConfigError|StartupError|PortInUseError/.test(error.name);
    logger.fatal(known ? { reason: message } : { err: error }, "start failed");
    process.stderr.write(`start failed: ${message}\n`);
    logger.flush?.();
    process.exit(1);
  });
}
