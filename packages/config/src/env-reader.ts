import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error.js";

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Typed reads of environment variables. Blank counts as unset; a bad value
 * throws ConfigError naming the variable and what was expected, so a
 * misconfigured service stops at start instead of misbehaving later.
 */
export class EnvReader {
  constructor(private readonly env: Env = process.env) {}

  string(variable: string): string | undefined {
    const value = this.env[variable]?.trim();
    return value === undefined || value === "" ? undefined : value;
  }

  integer(variable: string, fallback: number, min: number, max: number): number {
    const raw = this.string(variable);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      throw new ConfigError(variable, `expected an integer from ${min} to ${max}, got "${raw}"`);
    }
    return value;
  }

  boolean(variable: string, fallback: boolean): boolean {
    const raw = this.string(variable)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    throw new ConfigError(variable, `expected true or false, got "${raw}"`);
  }

  oneOf<T extends string>(variable: string, allowed: readonly T[], fallback: T): T {
    const raw = this.string(variable)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      throw new ConfigError(variable, `expected one of ${allowed.join(", ")}, got "${raw}"`);
    }
    return raw as T;
  }

  /** Contents of the file the variable points at, or undefined when unset. */
  file(variable: string): Buffer | undefined {
    const path = this.string(variable);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path);
    } catch (error) {
      throw new ConfigError(variable, `cannot read ${path}: ${(error as Error).message}`);
    }
  }
}
