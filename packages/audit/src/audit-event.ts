/**
 * What a service tells the audit trail: a closed set of actions, a target
 * built by `auditTarget` (an id, never a credential), an outcome with a
 * stable reason, and details by name. There is no free-form field: a
 * request, a password or a token has nowhere to go.
 */

/** The security events the trail records (docs/operations.md, "Audit trail"). */
export const AUDIT_ACTIONS = [
  "login",
  "token_issue",
  "token_revoke",
  "token_revoke_all",
  "password_change",
  "email_change",
  "role_change",
  "user_create",
  "user_delete",
  "permission_denied",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What an event happened to. Build it with `auditTarget`. */
export interface AuditTarget {
  readonly kind: "user" | "token" | "login_name" | "method";
  /** Checked by `auditTarget`: an id of the kind's shape, else "[invalid]". */
  readonly id: string;
}

/** Failure reasons are stable UPPER_SNAKE identifiers (ErrorInfo reasons). */
const REASON = /^[A-Z][A-Z0-9_]{0,63}$/;

/** How an event ended: success, or failure with a reason such as INVALID_CREDENTIALS or LOGIN_THROTTLED. */
export type AuditOutcome = { readonly result: "success" } | { readonly result: "failure"; readonly reason: string };

export const succeeded: AuditOutcome = { result: "success" };

/** A failure; a reason that is not UPPER_SNAKE becomes "OTHER", so no message text gets in. */
export function failed(reason: string): AuditOutcome {
  return { result: "failure", reason: REASON.test(reason) ? reason : "OTHER" };
}

/** Facts of an event, by name. Values are checked like targets (ids, roles, counts). */
export interface AuditDetail {
  readonly userId?: string;
  readonly tokenId?: string;
  readonly rolesBefore?: readonly string[];
  readonly rolesAfter?: readonly string[];
  readonly emailBefore?: string;
  readonly emailAfter?: string;
  readonly revokedCount?: number;
  /** The authorization policy entry that refused a call (`DeleteUser`, `UpdateUser.roles`). */
  readonly policyEntry?: string;
}

/** One event to record; time, service and caller are filled in by the trail. */
export interface AuditEvent {
  readonly action: AuditAction;
  readonly target: AuditTarget;
  readonly outcome: AuditOutcome;
  readonly detail?: AuditDetail;
}
