import { InvalidArgumentError } from "@faultmaven/errors";
import { SessionLimitError } from "./errors.js";
import type { MessageRecord, SessionChanges, SessionLimits, SessionRecord } from "./session.js";

/**
 * The limits session-svc runs with: 256 entries and 512 KiB of context,
 * 1 MiB of messages. A session at every limit is about 1.5 MiB, under
 * gRPC's default 4 MiB receive limit with room to spare (an encoded
 * session is no larger than what is counted here, plus a few bytes of
 * framing per entry and message).
 */
export const SESSION_LIMITS: SessionLimits = {
  contextEntries: 256,
  contextBytes: 512 * 1024,
  messageBytes: 1024 * 1024,
};

/**
 * A ListSessions page holds sessions (newest first) while their counted
 * bytes stay within this, and always at least one: a page is at most 2 MiB,
 * or one session (at most ~1.5 MiB).
 */
export const LIST_PAGE_MAX_BYTES = 2 * 1024 * 1024;

/** What a context holds, as the limits count it. */
export interface ContextUsage {
  readonly entries: number;
  readonly bytes: number;
}

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

export function contextUsage(context: Readonly<Record<string, string>>): ContextUsage {
  let bytes = 0;
  let entries = 0;
  for (const [key, value] of Object.entries(context)) {
    entries += 1;
    bytes += utf8Bytes(key) + utf8Bytes(value);
  }
  return { entries, bytes };
}

/** The context after `changes`, applied in the contract's order: replace, set, remove. */
export function contextAfter(context: Readonly<Record<string, string>>, changes: SessionChanges): Record<string, string> {
  const after = changes.replaceContext ? { ...changes.replaceContext } : { ...context };
  Object.assign(after, changes.setContext);
  for (const key of changes.removeContext ?? []) delete after[key];
  return after;
}

/**
 * Refuses a change that takes the context past a limit. A change that
 * leaves it no further past a limit than before (a session stored under
 * larger limits) is let through, so it can always shrink.
 */
export function checkContext(before: ContextUsage, after: ContextUsage, limits: SessionLimits): void {
  if (after.entries > limits.contextEntries && after.entries > before.entries) {
    throw new SessionLimitError("context_entries", after.entries, limits.contextEntries);
  }
  if (after.bytes > limits.contextBytes && after.bytes > before.bytes) {
    throw new SessionLimitError("context_bytes", after.bytes, limits.contextBytes);
  }
}

/** A new session's context must fit on its own: it is all from the request, hence INVALID_ARGUMENT. */
export function checkNewContext(context: Readonly<Record<string, string>>, limits: SessionLimits): void {
  const usage = contextUsage(context);
  if (usage.entries > limits.contextEntries) {
    throw new InvalidArgumentError("context", `has ${usage.entries} entries; a session holds at most ${limits.contextEntries}`);
  }
  if (usage.bytes > limits.contextBytes) {
    throw new InvalidArgumentError("context", `is ${usage.bytes} bytes; a session's context holds at most ${limits.contextBytes}`);
  }
}

/**
 * A message exactly as the stores keep and count it: the role's first letter
 * (u, a, s, t), the timestamp in ms, the unit separator (U+001F), metadata
 * as JSON ("" when empty), U+001F, then the content as is. JSON never holds
 * a raw U+001F, so the second one ends the metadata and the content needs
 * no escaping (the Redis script builds the same string; message-codec.ts
 * reads it back).
 */
export function storedMessage(message: MessageRecord): string {
  return `${message.role[0]}${message.timestamp}\u001f${metadataJson(message.metadata)}\u001f${message.content}`;
}

/** Metadata as stored: JSON, or "" when there is none (most messages). */
export function metadataJson(metadata: Readonly<Record<string, string>>): string {
  return Object.keys(metadata).length === 0 ? "" : JSON.stringify(metadata);
}

/** A message that alone exceeds the message budget: nothing can make room for it. */
export function messageTooLarge(bytes: number, max: number): InvalidArgumentError {
  return new InvalidArgumentError(
    "message",
    `is ${bytes} bytes as stored; a session keeps at most ${max} bytes of messages (limit session.message_bytes)`,
  );
}

/**
 * The messages to keep after appending the last of `messages`: the most
 * recent `maxCount` whose stored bytes fit `limits.messageBytes`, dropping
 * the oldest first. Refuses a newest message that alone does not fit.
 */
export function keptMessages(messages: readonly MessageRecord[], maxCount: number, limits: SessionLimits): MessageRecord[] {
  const newest = messages.at(-1);
  const newestBytes = newest ? utf8Bytes(storedMessage(newest)) : 0;
  if (newestBytes > limits.messageBytes) throw messageTooLarge(newestBytes, limits.messageBytes);
  const kept = messages.slice(-maxCount);
  let bytes = kept.reduce((sum, m) => sum + utf8Bytes(storedMessage(m)), 0);
  let first = 0;
  while (bytes > limits.messageBytes) bytes -= utf8Bytes(storedMessage(kept[first++]!));
  return kept.slice(first);
}

/** The bytes of a session as the limits count them (context plus kept messages). */
export function sessionBytes(session: SessionRecord): number {
  return contextUsage(session.context).bytes + session.messages.reduce((sum, m) => sum + utf8Bytes(storedMessage(m)), 0);
}

/** How many of `sizes` (in order) a page of at most `budget` bytes takes: at least one when there is one. */
export function pageThatFits(sizes: readonly number[], budget: number): number {
  let total = 0;
  let count = 0;
  for (const size of sizes) {
    total += size;
    if (count > 0 && total > budget) break;
    count += 1;
  }
  return count;
}
