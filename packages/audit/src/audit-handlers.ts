import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AuditOutcome, AuditService } from "@faultmaven/contract/audit";
import { InvalidArgumentError } from "@faultmaven/errors";
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
      const before = pageCursor(request.pageToken);
      // Nothing is older than the first possible id.
      if (before === "0-0") return { records: [], nextPageToken: "" };
      const page = await trail.page(before, size);
      return { records: page.records.map(recordToProto), nextPageToken: page.next ?? "" };
    },
  });
}

const MAX_ID_PART = 2n ** 64n - 1n;

/**
 * The record id a page starts before, normalised (`007-0` is `7-0`), or
 * undefined for the first page. The contract's pattern admits 20 digits;
 * a stream id's parts stop at 2^64-1.
 */
function pageCursor(token: string): string | undefined {
  if (token === "") return undefined;
  const parts = token.split("-").map(BigInt);
  if (parts.some((part) => part > MAX_ID_PART)) throw new InvalidArgumentError("page_token", "is not a record id");
  return parts.join("-");
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
