import { type AuditAction, type AuditDetail, type AuditTrail, auditTarget, failed, succeeded } from "@faultmaven/audit";
import type { AuthStore } from "../domain/auth-store.js";
import type { PublicUser, UserChanges } from "../domain/user.js";
import { auditReason } from "./auth-audit.js";

/**
 * UpdateUser with its audit records: a role change (roles before and after)
 * and an e-mail change (addresses before and after), each when the update
 * names it; a display-name change is no security event. The "before" side
 * is read just before the update (one more read, only for these two): a
 * concurrent change of the same user in between can make it stale.
 */
export async function updateAudited(trail: AuditTrail, store: AuthStore, userId: string, changes: UserChanges): Promise<PublicUser> {
  const actions: AuditAction[] = [];
  if (changes.roles !== undefined) actions.push("role_change");
  if (changes.email !== undefined) actions.push("email_change");
  if (actions.length === 0) return store.updateUser(userId, changes);
  const target = auditTarget.user(userId);
  let before: PublicUser | undefined;
  let after: PublicUser;
  try {
    before = await store.getUser(userId);
    after = await store.updateUser(userId, changes);
  } catch (error) {
    for (const action of actions) trail.record({ action, target, outcome: failed(auditReason(error)) });
    throw error;
  }
  for (const action of actions) {
    const detail: AuditDetail =
      action === "role_change"
        ? { ...(before ? { rolesBefore: before.roles } : {}), rolesAfter: after.roles }
        : { ...(before ? { emailBefore: before.email } : {}), emailAfter: after.email };
    trail.record({ action, target, outcome: succeeded, detail });
  }
  return after;
}
