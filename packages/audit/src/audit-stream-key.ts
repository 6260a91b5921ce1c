import { KeyPattern } from "@faultmaven/redis";

/** A service's audit stream, `{namespace}audit` (`auth:audit`), for its key schema. */
export function auditStreamPattern(namespace: string): KeyPattern<readonly []> {
  return new KeyPattern(`${namespace}audit`, [], {
    type: "Stream: audit records (fields time, service, identity, source, action, target, outcome, reason, detail)",
    ttl: "none; capped at about AUDIT_STREAM_MAX_LEN entries (default 100000, XADD MAXLEN ~)",
    writtenBy:
      "the audit trail, after the audited call (security events, PERMISSION_DENIED); read by AuditService.ListAuditRecords " +
      "(docs/operations.md, Audit trail)",
  });
}
