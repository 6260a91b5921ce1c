/** The suite's Redis key schema as data, and the keyspace audit built on it. */
export { KNOWN_KEYS, DEPRECATED_KEYS, classifyKey, type KeyPattern, type KeyClass } from "./key-schema.js";
export { auditKeyspace, type AuditReport } from "./audit.js";
