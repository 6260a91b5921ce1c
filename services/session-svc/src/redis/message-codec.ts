import type { MessageRecord, MessageRole } from "../domain/session.js";

const ROLES: Readonly<Record<string, MessageRole>> = { u: "user", a: "assistant", s: "system", t: "tool" };
const SEPARATOR = "\u001f";
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Reads a message as the list `{session:{id}}:msgs` holds it (storedMessage
 * in session-limits.ts): two indexOf and slices, and JSON.parse only for
 * the metadata of the few messages that have any.
 */
export function decodeStoredMessage(stored: string): MessageRecord {
  const metadataAt = stored.indexOf(SEPARATOR);
  const contentAt = stored.indexOf(SEPARATOR, metadataAt + 1);
  const role = ROLES[stored[0]!];
  if (metadataAt < 0 || contentAt < 0 || role === undefined) throw new Error("a stored message is not in the stored form");
  return {
    role,
    timestamp: Number(stored.slice(1, metadataAt)),
    metadata: contentAt > metadataAt + 1 ? (JSON.parse(stored.slice(metadataAt + 1, contentAt)) as Record<string, string>) : NO_METADATA,
    content: stored.slice(contentAt + 1),
  };
}
