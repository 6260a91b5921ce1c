import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AuditOutcome, AuditService } from "@faultmaven/contract/audit";
import { bind, type Binding, pageSize } from "@faultmaven/grpc-kit";
import type { StoredAuditRecord } from "./audit-record.js";
import type { AuditTrail } from "./audit-trail.js";

/** Page sizes of ListAuditRecords: 0 means 50, above 500 means 500. */
export const AUDIT_PAGE = { fallback: 50, max: 500 } as const;

/**
 * AuditService on a service's own trail. Its request is checked by the
 * contract's rules (page_token is a stream id or empty); who may call it is
 * the authorization policy's business (admin only).
 */
export function auditBinding(trail: AuditTrail): Binding {
  return bind(AuditService, {
    async listAuditRecords(request) {
      const size = pageSize(request.pageSize, AUDIT_PAGE.fallback, AUDIT_PAGE.max);
      const page = await trail.page(request.pageToken === "" ? undefined : request.pageToken, size);
      return { records: page.records.map(recordToProto), nextPageToken: page.next ?? "" };
    },
  });
}

function recordToProto(record: StoredAuditRecord) {
  return {
    recordId: record.id,
    time: timestampFromMs(record.time),
    service: record.service,
    callerIdentity: record.identity,
    source: record.source,
    action: record.action,
    target: record.target,
    outcome: record.outcome === "success" ? AuditOutcome.SUCCESS : AuditOutcome.FAILURE,
    reason: record.reason,
    detail: { ...record.detail },
  };
}
