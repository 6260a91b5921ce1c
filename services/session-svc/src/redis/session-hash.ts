import type { MessageRecord, SessionPolicy, SessionRecord } from "../domain/session.js";

/**
 * The layout of `session:{id}`: scalar fields as in the seed, context keys
 * as `c:<key>` fields and messages as `m:<seq>` JSON fields, so that an
 * update or append touches only its own fields (no read-modify-write of a
 * whole JSON blob, hence no lost updates).
 */
export function parseSessionHash(hash: Record<string, string>, policy: SessionPolicy): SessionRecord | undefined {
  if (!hash.session_id) return undefined;
  const context: Record<string, string> = {};
  const messages: { seq: number; message: MessageRecord }[] = [];
  for (const [field, value] of Object.entries(hash)) {
    if (field.startsWith("c:")) context[field.slice(2)] = value;
    else if (field.startsWith("m:")) messages.push({ seq: Number(field.slice(2)), message: JSON.parse(value) as MessageRecord });
  }
  messages.sort((a, b) => a.seq - b.seq);
  const lastActivity = Number(hash.last_activity);
  const absoluteExpiresAt = hash.absolute_expires_at ? Number(hash.absolute_expires_at) : undefined;
  return {
    sessionId: hash.session_id,
    userId: hash.user_id ?? "",
    clientId: hash.client_id ?? "",
    caseId: hash.case_id ?? "",
    createdAt: Number(hash.created_at),
    lastActivity,
    expiresAt: Math.min(lastActivity + policy.idleTtlMs, absoluteExpiresAt ?? Infinity),
    absoluteExpiresAt,
    messages: messages.map((m) => m.message),
    messageCount: Number(hash.msg_seq ?? 0),
    context,
    version: Number(hash.ver ?? 0),
  };
}
