import { ResourceExhaustedError } from "@faultmaven/errors";
import type { SessionEvent } from "../domain/session-event.js";
import { BufferBudget } from "./buffer-budget.js";
import type { WatchLimits } from "./watch-limits.js";
import type { Watcher } from "./watcher.js";

/** What a store does for the topics: (un)subscribe a session's events, and say how long a session has left. */
export interface TopicSource {
  /** Starts receiving the session's events; resolves once every later event will arrive. */
  subscribe(sessionId: string): Promise<void>;
  /** Stops receiving them (best effort: a failure is the store's to log). */
  unsubscribe(sessionId: string): void;
  /** Milliseconds the session has left, or undefined when it is gone. */
  remainingMs(sessionId: string): Promise<number | undefined>;
}

interface Topic {
  readonly watchers: Set<Watcher>;
  readonly subscribed: Promise<void>;
  /** The highest version seen, for the `expired` event. */
  version: number;
  expiryTimer: NodeJS.Timeout | undefined;
}

/** A little past the expiry, so the check finds the key gone. */
const EXPIRY_GRACE_MS = 20;
/** Retry of an expiry check that could not reach the store. */
const EXPIRY_RETRY_MS = 1000;

/**
 * The sessions this process watches: one topic per watched session,
 * subscribed when its first watcher comes and unsubscribed when its last one
 * leaves, whatever the number of watchers (they share the subscription and
 * each event object). Each topic keeps one timer at its session's expiry
 * (known from every event and snapshot): when it fires and the store says
 * the session is gone, its watchers get a final `expired` event. At most
 * `maxWatchers` watchers at once, and `maxWatchersPerCaller` of one caller
 * (RESOURCE_EXHAUSTED past either); all watchers' buffers share one
 * `bufferBudgetBytes` budget.
 */
export class WatchTopics {
  readonly #topics = new Map<string, Topic>();
  readonly #perCaller = new Map<string, number>();
  readonly #budget: BufferBudget;
  #watchers = 0;

  constructor(
    private readonly source: TopicSource,
    private readonly limits: Pick<WatchLimits, "maxWatchers" | "maxWatchersPerCaller" | "bufferBudgetBytes">,
  ) {
    this.#budget = new BufferBudget(limits.bufferBudgetBytes);
  }

  /** The bytes all watchers' buffers share (each Watcher of these topics takes from it). */
  get budget(): BufferBudget {
    return this.#budget;
  }

  /** Watchers at present. */
  get watcherCount(): number {
    return this.#watchers;
  }

  /** Sessions with watchers at present. */
  get topicCount(): number {
    return this.#topics.size;
  }

  /**
   * Adds a watcher; resolves once its session's events reach it, with the
   * function that removes it (idempotent). Rejects with the subscription's
   * error (the watcher is removed then).
   */
  async attach(sessionId: string, watcher: Watcher, caller: string): Promise<() => void> {
    if (this.#watchers >= this.limits.maxWatchers) {
      throw new ResourceExhaustedError(
        `this replica serves its maximum of ${this.limits.maxWatchers} session watchers; retry later or on another replica`,
        "TOO_MANY_WATCHERS",
        "WATCH_MAX_WATCHERS",
      );
    }
    const callerWatchers = this.#perCaller.get(caller) ?? 0;
    if (callerWatchers >= this.limits.maxWatchersPerCaller) {
      throw new ResourceExhaustedError(
        `this caller already has its maximum of ${this.limits.maxWatchersPerCaller} session watchers on this replica; cancel one first`,
        "TOO_MANY_WATCHERS_OF_CALLER",
        "WATCH_MAX_WATCHERS_PER_CALLER",
      );
    }
    this.#perCaller.set(caller, callerWatchers + 1);
    let topic = this.#topics.get(sessionId);
    if (!topic) {
      topic = { watchers: new Set(), subscribed: this.source.subscribe(sessionId), version: 0, expiryTimer: undefined };
      // A failed subscription is seen by every attach awaiting it; keep it from going unhandled meanwhile.
      topic.subscribed.catch(() => undefined);
      this.#topics.set(sessionId, topic);
    }
    topic.watchers.add(watcher);
    this.#watchers += 1;
    let attached = true;
    const detach = () => {
      if (!attached) return;
      attached = false;
      this.#watchers -= 1;
      const left = (this.#perCaller.get(caller) ?? 1) - 1;
      if (left === 0) this.#perCaller.delete(caller);
      else this.#perCaller.set(caller, left);
      topic.watchers.delete(watcher);
      if (topic.watchers.size === 0 && this.#topics.get(sessionId) === topic) this.#drop(sessionId, topic);
    };
    try {
      await topic.subscribed;
    } catch (error) {
      detach();
      throw error;
    }
    return detach;
  }

  /** An event of `sessionId` from the store, `bytes` long as published (UTF-8). */
  dispatch(sessionId: string, event: SessionEvent, bytes: number): void {
    const topic = this.#topics.get(sessionId);
    if (!topic) return;
    if (event.kind !== "touched" && event.kind !== "deleted") topic.version = Math.max(topic.version, event.version);
    if ("expiresAt" in event) this.#expireAt(sessionId, topic, event.expiresAt);
    for (const watcher of topic.watchers) watcher.offer(event, bytes);
  }

  /** A watcher read the session at `version`, expiring at `expiresAt`. */
  noteSnapshot(sessionId: string, version: number, expiresAt: number): void {
    const topic = this.#topics.get(sessionId);
    if (!topic) return;
    topic.version = Math.max(topic.version, version);
    this.#expireAt(sessionId, topic, expiresAt);
  }

  /** Events of `sessionId` may have been missed: its watchers read a fresh snapshot. */
  resyncAll(sessionId: string): void {
    const topic = this.#topics.get(sessionId);
    if (!topic) return;
    for (const watcher of topic.watchers) watcher.gap();
  }

  /** Ends every watch with `error` (the store lost its subscription) and forgets every topic. */
  failAll(error: unknown): void {
    for (const [sessionId, topic] of [...this.#topics]) {
      this.#drop(sessionId, topic);
      for (const watcher of topic.watchers) watcher.end(error);
    }
  }

  #drop(sessionId: string, topic: Topic): void {
    clearTimeout(topic.expiryTimer);
    topic.expiryTimer = undefined;
    this.#topics.delete(sessionId);
    this.source.unsubscribe(sessionId);
  }

  #expireAt(sessionId: string, topic: Topic, expiresAt: number): void {
    this.#checkExpiryIn(sessionId, topic, expiresAt - Date.now() + EXPIRY_GRACE_MS);
  }

  #checkExpiryIn(sessionId: string, topic: Topic, ms: number): void {
    clearTimeout(topic.expiryTimer);
    topic.expiryTimer = setTimeout(() => void this.#checkExpiry(sessionId, topic), Math.max(0, ms));
    topic.expiryTimer.unref();
  }

  async #checkExpiry(sessionId: string, topic: Topic): Promise<void> {
    topic.expiryTimer = undefined;
    let remaining: number | undefined;
    try {
      remaining = await this.source.remainingMs(sessionId);
    } catch {
      if (this.#topics.get(sessionId) === topic && !topic.expiryTimer) this.#checkExpiryIn(sessionId, topic, EXPIRY_RETRY_MS);
      return;
    }
    // A newer event or snapshot set a new timer meanwhile, or the topic is gone: that one decides.
    if (this.#topics.get(sessionId) !== topic || topic.expiryTimer) return;
    if (remaining !== undefined) {
      this.#checkExpiryIn(sessionId, topic, remaining + EXPIRY_GRACE_MS);
      return;
    }
    const expired: SessionEvent = { kind: "expired", version: topic.version };
    for (const watcher of topic.watchers) watcher.offer(expired, 0);
  }
}
