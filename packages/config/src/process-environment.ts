import type { Env } from "./env-reader.js";

/**
 * The process environment as a read-only copy, for code that hands it on to
 * child processes (scripts, tests). Reading a setting goes through
 * `EnvReader`; this package is the only one that touches `process.env`.
 */
export function processEnvironment(): Env {
  return { ...process.env };
}
