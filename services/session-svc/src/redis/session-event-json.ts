import type { MessageRecord } from "../domain/session.js";
import type { SessionEvent } from "../domain/session-event.js";

/** An event as the write scripts publish it (PRELUDE `publish`). */
interface PublishedEvent {
  v: number;
  e: "append" | "update" | "lock_acquire" | "lock_refresh" | "lock_release" | "touch" | "delete";
  at: number;
  ttl: number;
  n?: number;
  d?: number;
  m?: MessageRecord;
  u?: { case?: string; clr?: boolean; set?: Record<string, string>; rm?: string[] };
  own?: string;
  f?: number;
  until?: number;
}

const LOCK_KINDS = { lock_acquire: "lock_acquired", lock_refresh: "lock_refreshed", lock_release: "lock_released" } as const;

/** Parses a published event; undefined for a message that is not one (it is ignored, not trusted). */
export function parseSessionEvent(payload: string): SessionEvent | undefined {
  let raw: PublishedEvent;
  try {
    raw = JSON.parse(payload) as PublishedEvent;
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null || !Number.isSafeInteger(raw.v)) return undefined;
  const change = { version: raw.v, at: raw.at, expiresAt: raw.at + raw.ttl };
  switch (raw.e) {
    case "append":
      return raw.m
        ? { kind: "message_appended", ...change, message: raw.m, messageCount: raw.n ?? 0, trimmedMessages: raw.d ?? 0 }
        : undefined;
    case "update": {
      const u = raw.u ?? {};
      return {
        kind: "updated",
        ...change,
        caseId: u.case,
        contextCleared: u.clr === true,
        // cjson writes an empty table as {}; only non-empty ones are sent.
        setContext: u.set ?? {},
        removedContextKeys: Array.isArray(u.rm) ? u.rm : [],
      };
    }
    case "lock_acquire":
    case "lock_refresh":
    case "lock_release":
      return {
        kind: LOCK_KINDS[raw.e],
        ...change,
        lock: { owner: raw.own ?? "", fencingToken: raw.f ?? 0, expiresAt: raw.until ?? raw.at },
      };
    case "touch":
      return { kind: "touched", ...change };
    case "delete":
      return { kind: "deleted", version: raw.v };
    default:
      return undefined;
  }
}
