/** The shared Redis client: configuration, fail-fast connections, readiness, keys, scripts. */
export { readRedisConfig, type RedisConfig, type RedisMode, type HostPort } from "./config.js";
export { createRedisClient, type RedisClient } from "./client.js";
export { RedisReadiness } from "./readiness.js";
export { keyPart, type KeyPartRules } from "./key-part.js";
export { KeyPattern, part, oneOf, type KeyPartSpec, type KeyDoc, type PartValues } from "./key-pattern.js";
export { defineKeySchema, keyBuilders, type KeySchema, type KeyBuilders } from "./key-schema.js";
export {
  MultiKeyStep,
  STALE_PLAN,
  sharesScripts,
  type ScriptCall,
  type SingleKeyCalls,
  type MultiKeyStepDefinition,
} from "./multi-key-step.js";
export { backOff, DEFAULT_CONTENTION_POLICY, type ContentionPolicy } from "./contention-backoff.js";
export { LuaScript, type LuaScriptOptions, type Idempotence } from "./lua-script.js";
export { idempotencyRecordKey, idempotencyRecordPattern } from "./idempotency-record.js";
export { slotTagOf, SLOT_TAG_LENGTH } from "./slot-tag.js";
export { keySlot } from "./key-slot.js";
export { callRedis, isRedisUnavailable, neverReachedRedis } from "./call-redis.js";
export { connectOrFallback, StartupError, type StoreChoice, type Environment } from "./connect-or-fallback.js";
export { openStore, type ClosableStore } from "./open-store.js";
export { NamespaceSampler } from "./namespace-sampler.js";
export { readStorageChoice, readEnvironment, pairsToHash, type StorageType } from "./storage-choice.js";
export { scanKeys } from "./scan-keys.js";
export { readReplicationWait, confirmReplicated, type ReplicationWait } from "./replication-wait.js";
