import type { AuditTarget } from "./audit-event.js";

const SHAPES: Record<AuditTarget["kind"], RegExp> = {
  user: /^usr_[A-Za-z0-9_-]{22}$/,
  token: /^tok_[A-Za-z0-9_-]{16}$/,
  // A username or e-mail as the caller typed it (normalised): the charset of both, bounded.
  login_name: /^[A-Za-z0-9_.@+-]{1,254}$/,
  method: /^\/?[A-Za-z0-9_.]{1,128}\/[A-Za-z0-9_]{1,64}$/,
};

/** FaultMaven tokens (`fm1.<user>.<token id>.<secret>`): never recorded, whatever field they turn up in. */
const TOKEN_LIKE = /fm1\./i;

/** `value` when it has `kind`'s shape and is no token, else "[invalid]": the trail never fails a call over a target. */
export function checkedId(kind: AuditTarget["kind"], value: string): string {
  return SHAPES[kind].test(value) && !TOKEN_LIKE.test(value) ? value : "[invalid]";
}

/**
 * Targets by kind. A token is named by its id (`tok_...`), never by the
 * token; a login attempt by the login name it gave.
 */
export const auditTarget = {
  user: (userId: string): AuditTarget => ({ kind: "user", id: checkedId("user", userId) }),
  token: (tokenId: string): AuditTarget => ({ kind: "token", id: checkedId("token", tokenId) }),
  loginName: (name: string): AuditTarget => ({ kind: "login_name", id: checkedId("login_name", name) }),
  method: (method: string): AuditTarget => ({ kind: "method", id: checkedId("method", method) }),
};
