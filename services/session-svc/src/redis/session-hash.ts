import type { MessageRecord, SessionPolicy, SessionRecord } from "../domain/session.js";
import { decodeStoredMessage } from "./message-codec.js";

/**
 * Reads a session from its hash `session:{id}` and its message list
 * `{session:{id}}:msgs` (see key-schema.ts). A hash written before the
 * message list existed (it has a `session_id` field) keeps its messages as
 * `m:<seq>` JSON fields until its next append moves them to the list; both
 * are read here.
 */
export function parseSession(
  sessionId: string,
  hash: Record<string, string>,
  stored: readonly string[],
  policy: SessionPolicy,
): SessionRecord | undefined {
  if (hash.user_id === undefined) return undefined;
  const context: Record<string, string> = {};
  const legacy: { seq: number; message: MessageRecord }[] = [];
  for (const field in hash) {
    if (field.startsWith("c:")) context[field.slice(2)] = hash[field]!;
    else if (field.startsWith("m:")) legacy.push({ seq: Number(field.slice(2)), message: JSON.parse(hash[field]!) as MessageRecord });
  }
  const messages = legacy.sort((a, b) => a.seq - b.seq).map((m) => m.message);
  for (const entry of stored) messages.push(decodeStoredMessage(entry));
  const lastActivity = Number(hash.last_activity);
  const absoluteExpiresAt = hash.absolute_expires_at ? Number(hash.absolute_expires_at) : undefined;
  return {
    sessionId,
    userId: hash.user_id,
    clientId: hash.client_id ?? "",
    caseId: hash.case_id ?? "",
    createdAt: Number(hash.created_at),
    lastActivity,
    expiresAt: Math.min(lastActivity + policy.idleTtlMs, absoluteExpiresAt ?? Infinity),
    absoluteExpiresAt,
    messages,
    messageCount: Number(hash.msg_seq ?? 0),
    context,
    version: Number(hash.ver ?? 0),
  };
}
