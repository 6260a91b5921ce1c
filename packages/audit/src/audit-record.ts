import type { Caller } from "@faultmaven/call-scope";
import type { AuditAction, AuditDetail, AuditEvent } from "./audit-event.js";
import { checkedId } from "./audit-target.js";

/** One event as it is logged and stored: flat strings, nothing but the named fields. */
export interface AuditRecord {
  /** Unix ms, the service's clock. */
  readonly time: number;
  readonly service: string;
  /** The caller's workload identity; "" without mutual TLS. */
  readonly identity: string;
  readonly source: string;
  readonly action: AuditAction;
  /** `<kind>:<id>`. */
  readonly target: string;
  readonly outcome: "success" | "failure";
  /** "" on success. */
  readonly reason: string;
  /** snake_case names (roles_before, token_id, ...) to checked values. */
  readonly detail: Readonly<Record<string, string>>;
}

/** A record read back from a log, with its id there (the stream id). */
export interface StoredAuditRecord extends AuditRecord {
  readonly id: string;
}

const ROLE = /^[A-Za-z0-9_.:-]{1,64}$/;
const POLICY_ENTRY = /^[A-Za-z0-9_.]{1,128}$/;
/** A source is an address ("ipv4:1.2.3.4:5678", "ipv6:[::1]:80", "unix:/path"); anything else is not recorded. */
const SOURCE = /^[A-Za-z0-9_.:[\]%/@-]{1,200}$/;
/** A workload identity: a SPIFFE URI or a certificate CN. */
const IDENTITY = /^[A-Za-z0-9_.:/@=+ -]{1,255}$/;

/** The record of `event`, stamped with the time, the service and the caller. */
export function toRecord(event: AuditEvent, service: string, caller: Caller | undefined, now: number): AuditRecord {
  const identity = caller?.identity ?? "";
  const source = caller?.source ?? "";
  return {
    time: now,
    service,
    identity: identity === "" || IDENTITY.test(identity) ? identity : "[invalid]",
    source: source === "" || SOURCE.test(source) ? source : "[invalid]",
    action: event.action,
    target: `${event.target.kind}:${event.target.id}`,
    outcome: event.outcome.result,
    reason: event.outcome.result === "failure" ? event.outcome.reason : "",
    detail: detailFields(event.detail ?? {}),
  };
}

function detailFields(detail: AuditDetail): Record<string, string> {
  const fields: Record<string, string> = {};
  if (detail.userId !== undefined) fields.user_id = checkedId("user", detail.userId);
  if (detail.tokenId !== undefined) fields.token_id = checkedId("token", detail.tokenId);
  if (detail.rolesBefore !== undefined) fields.roles_before = roles(detail.rolesBefore);
  if (detail.rolesAfter !== undefined) fields.roles_after = roles(detail.rolesAfter);
  if (detail.emailBefore !== undefined) fields.email_before = checkedId("login_name", detail.emailBefore);
  if (detail.emailAfter !== undefined) fields.email_after = checkedId("login_name", detail.emailAfter);
  if (detail.policyEntry !== undefined) fields.policy_entry = POLICY_ENTRY.test(detail.policyEntry) ? detail.policyEntry : "[invalid]";
  if (detail.revokedCount !== undefined) fields.revoked_count = String(Math.max(0, Math.trunc(detail.revokedCount)));
  return fields;
}

function roles(list: readonly string[]): string {
  return list
    .slice(0, 32)
    .map((role) => (ROLE.test(role) ? role : "[invalid]"))
    .join(",");
}

/** The stream entry's field/value pairs (XADD order). */
export function toStreamFields(record: AuditRecord): string[] {
  return [
    "time",
    String(record.time),
    "service",
    record.service,
    "identity",
    record.identity,
    "source",
    record.source,
    "action",
    record.action,
    "target",
    record.target,
    "outcome",
    record.outcome,
    "reason",
    record.reason,
    "detail",
    JSON.stringify(record.detail),
  ];
}

/** A stream entry back as a record (fields it lacks read as empty). */
export function fromStreamEntry(id: string, pairs: readonly string[]): StoredAuditRecord {
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < pairs.length; i += 2) fields.set(pairs[i]!, pairs[i + 1]!);
  const get = (name: string) => fields.get(name) ?? "";
  let detail: Record<string, string> = {};
  try {
    detail = JSON.parse(get("detail") || "{}") as Record<string, string>;
  } catch {
    // A damaged entry keeps its other fields.
  }
  return {
    id,
    time: Number(get("time")) || 0,
    service: get("service"),
    identity: get("identity"),
    source: get("source"),
    action: get("action") as AuditAction,
    target: get("target"),
    outcome: get("outcome") === "success" ? "success" : "failure",
    reason: get("reason"),
    detail,
  };
}
