import type { Caller } from "@faultmaven/call-scope";
import { PermissionDeniedError } from "@faultmaven/errors";
import type { ServiceAccess } from "./method-access.js";
import type { Middleware } from "./middleware.js";

/** One call the authorization policy refused, as handed to `onPermissionDenied` (the audit trail). */
export interface PermissionDenial {
  /** Full method name, e.g. "faultmaven.auth.v1.AuthService/DeleteUser". */
  readonly method: string;
  readonly caller: Caller;
  /** The policy entry that refused it: the method's name, or `Method.field` for a guarded field (`UpdateUser.roles`). */
  readonly entry: string;
}

/**
 * Refuses, before the request is validated or any handler runs, a call the
 * policy does not grant to its caller: PERMISSION_DENIED (reason
 * CALLER_NOT_ALLOWED, metadata naming the method, the caller and the
 * entry), one warning naming them, and `onPermissionDenied` is told.
 */
export function authorizeCalls(access: ServiceAccess, onPermissionDenied?: (denial: PermissionDenial) => void): Middleware {
  return (call, next) => {
    const { caller, method } = call.context;
    const rules = access(call.method.name);
    const entry = rules === undefined ? call.method.name : rules.refusal(caller.identity, call.request);
    if (entry === undefined) return next(call);
    call.context.logger.warn({ source: caller.source, entry }, "permission denied");
    try {
      onPermissionDenied?.({ method, caller, entry });
    } catch (error) {
      call.context.logger.error({ err: error }, "onPermissionDenied failed");
    }
    const who = caller.identity ?? "a caller without a client certificate";
    const what = entry === call.method.name ? `call ${method}` : `change ${entry.slice(entry.indexOf(".") + 1)} through ${method}`;
    throw new PermissionDeniedError(`${who} may not ${what}`, { method, caller: caller.identity ?? "", entry });
  };
}
