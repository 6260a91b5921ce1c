import { ConfigError, EnvReader } from "@faultmaven/config";
import type { Environment } from "./connect-or-fallback.js";

export type StorageType = "redis" | "inmemory";

/**
 * ENVIRONMENT (development | production, default development) and a
 * service's storage variable (redis | inmemory, default redis). Production
 * refuses inmemory: there, data must survive restarts (seed §8).
 */
export function readStorageChoice(
  storageVariable: string,
  env = new EnvReader(),
): { environment: Environment; storageType: StorageType; storageVariable: string } {
  const environment = readEnvironment(env);
  const storageType = env.oneOf<StorageType>(storageVariable, ["redis", "inmemory"], "redis");
  if (environment === "production" && storageType === "inmemory") {
    throw new ConfigError(storageVariable, "inmemory is not allowed when ENVIRONMENT=production (data must survive restarts)");
  }
  return { environment, storageType, storageVariable };
}

export function readEnvironment(env = new EnvReader()): Environment {
  return env.oneOf("ENVIRONMENT", ["development", "production"], "development");
}

/** HGETALL as a flat array (what a Lua script returns) to an object. */
export function pairsToHash(pairs: unknown): Record<string, string> {
  const hash: Record<string, string> = {};
  if (!Array.isArray(pairs)) return hash;
  for (let i = 0; i + 1 < pairs.length; i += 2) hash[String(pairs[i])] = String(pairs[i + 1]);
  return hash;
}
