import { type AuditAction, type AuditDetail, type AuditTarget, type AuditTrail, auditTarget, failed, succeeded } from "@faultmaven/audit";
import { ServiceError } from "@faultmaven/errors";
import type { LoginName } from "../domain/accounts.js";

/** The stable reason of a failure for the audit record: the ErrorInfo reason, or INTERNAL for a bug. */
export function auditReason(error: unknown): string {
  return error instanceof ServiceError ? error.reason : "INTERNAL";
}

/** The login name an attempt gave, as its audit target. */
export function loginTarget(name: LoginName): AuditTarget {
  return auditTarget.loginName("username" in name ? name.username : name.email);
}

/**
 * auth-svc's audit records (docs/operations.md, "Audit trail"): each audited
 * handler runs its work through `around`, which records success (with
 * details taken from the result) or failure (with the error's reason) and
 * passes the result or error on unchanged.
 */
export class AuthAudit {
  constructor(readonly trail: AuditTrail) {}

  async around<T>(action: AuditAction, target: AuditTarget, work: () => Promise<T>, detail?: (result: T) => AuditDetail): Promise<T> {
    let result: T;
    try {
      result = await work();
    } catch (error) {
      this.trail.record({ action, target, outcome: failed(auditReason(error)) });
      throw error;
    }
    this.trail.record({ action, target, outcome: succeeded, ...(detail ? { detail: detail(result) } : {}) });
    return result;
  }

  /**
   * A login refused by the login throttle, for a refusal made outside
   * `around`. A throttle inside `accounts.login` needs none: its error
   * (reason LOGIN_THROTTLED) is recorded by the login's `around`.
   */
  loginThrottled(name: LoginName): void {
    this.trail.record({ action: "login", target: loginTarget(name), outcome: failed("LOGIN_THROTTLED") });
  }
}
