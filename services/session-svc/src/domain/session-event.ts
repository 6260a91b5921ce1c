import type { MessageRecord, SessionRecord } from "./session.js";

/** A lock as a lock event names it (for a release, `expiresAt` is the release time). */
export interface LockState {
  readonly owner: string;
  readonly fencingToken: number;
  readonly expiresAt: number;
}

/** What every change event carries: the version after it, when it happened and the expiry it set (Unix ms). */
interface Change {
  readonly version: number;
  readonly at: number;
  readonly expiresAt: number;
}

/**
 * One thing a watcher of a session learns, in version order. A change
 * (`message_appended`, `updated`, `lock_*`, `deleted`) has the previous
 * version plus one; `touched` keeps the version; `snapshot` and `caught_up`
 * state the version the watcher is at; `deleted` and `expired` are last.
 */
export type SessionEvent =
  | { readonly kind: "snapshot"; readonly version: number; readonly session: SessionRecord; readonly resync: boolean }
  | { readonly kind: "caught_up"; readonly version: number; readonly expiresAt: number }
  | (Change & {
      readonly kind: "message_appended";
      readonly message: MessageRecord;
      readonly messageCount: number;
      readonly trimmedMessages: number;
    })
  | (Change & {
      readonly kind: "updated";
      /** The new case id when the update set it. */
      readonly caseId: string | undefined;
      readonly contextCleared: boolean;
      readonly setContext: Readonly<Record<string, string>>;
      readonly removedContextKeys: readonly string[];
    })
  | (Change & { readonly kind: "lock_acquired" | "lock_refreshed" | "lock_released"; readonly lock: LockState })
  | (Change & { readonly kind: "touched" })
  | { readonly kind: "deleted"; readonly version: number }
  | { readonly kind: "expired"; readonly version: number };

/** How a watch starts and ends. */
export interface WatchOptions {
  /** A version the caller already has: when the session is still at it, the watch opens with `caught_up`. */
  readonly fromVersion?: number;
  /** Who watches (the caller's identity, else its address), for the per-caller watcher cap; undefined: one shared key. */
  readonly caller?: string;
  /** Also deliver `touched` events. */
  readonly includeTouches: boolean;
  /** Aborting it ends the watch and frees everything it held at once. */
  readonly signal: AbortSignal;
}

/** True for the events after which a watch ends. */
export function isFinal(event: SessionEvent): boolean {
  return event.kind === "deleted" || event.kind === "expired";
}
