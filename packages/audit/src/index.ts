/**
 * The security audit trail (issue 11): one structured record per security
 * event (logins, password, e-mail and role changes, token issue and
 * revocation, user deletion, PERMISSION_DENIED), with time, caller identity,
 * source, action, target and outcome and never a secret, logged under the
 * logger name "audit" and appended to the service's capped Redis stream,
 * which AuditService.ListAuditRecords pages through.
 */
export {
  AUDIT_ACTIONS,
  failed,
  succeeded,
  type AuditAction,
  type AuditDetail,
  type AuditEvent,
  type AuditOutcome,
  type AuditTarget,
} from "./audit-event.js";
export { auditTarget } from "./audit-target.js";
export { toRecord, type AuditRecord, type StoredAuditRecord } from "./audit-record.js";
export { AuditTrail, type DeniedCall } from "./audit-trail.js";
export type { AuditLog, AuditPage } from "./audit-log.js";
export { MemoryAuditLog } from "./memory-audit-log.js";
export { RedisAuditLog, type RedisAuditLogOptions } from "./redis-audit-log.js";
export { AuditMetrics } from "./audit-metrics.js";
export { readAuditConfig, type AuditConfig } from "./audit-config.js";
export { auditStreamPattern } from "./audit-stream-key.js";
export { createAuditLogger } from "./audit-logger.js";
export { openAuditTrail } from "./open-audit-trail.js";
export { auditBinding, AUDIT_PAGE } from "./audit-handlers.js";
