/** The keyspace audit and docs/key-schema.md, both derived from the services' key schemas (passed in). */
export { DEPRECATED_KEYS, classifyKey, type KeyClass } from "./classify-key.js";
export { auditKeyspace, type AuditReport } from "./audit.js";
export { renderKeySchemaDoc } from "./key-schema-doc.js";
export { migrateReportKeys, migratedReportKey, type ReportKeyMigration } from "./report-key-migration.js";
