import { UnavailableError } from "@faultmaven/errors";
import type { RedisClient, RedisMode } from "@faultmaven/redis";
import type { SessionEvent, WatchOptions } from "../domain/session-event.js";
import type { WatchLimits } from "../watch/watch-limits.js";
import { type ReadSession, watchSession } from "../watch/watch-session.js";
import { WatchTopics } from "../watch/watch-topics.js";
import { ChannelSubscriber } from "./channel-subscriber.js";
import { sessionKeys } from "./keys.js";
import { sessionChannel, sessionIdOfChannel } from "./session-channel.js";
import { parseSessionEvent } from "./session-event-json.js";

/**
 * WatchSession for the Redis store: the write scripts publish each change
 * on the session's channel (scripts/prelude.ts `publish`); this process's
 * one ChannelSubscriber receives them, and WatchTopics fans each parsed
 * event out to the session's watchers. A lost subscriber connection ends
 * every watch with UNAVAILABLE (its events may be lost; callers reconnect
 * with from_version); a channel whose Cluster slot moved gives its
 * session's watchers a fresh snapshot.
 */
export class SessionWatches {
  readonly #subscriber: ChannelSubscriber;
  readonly #topics: WatchTopics;

  constructor(
    private readonly client: RedisClient,
    mode: RedisMode,
    private readonly read: ReadSession,
    private readonly limits: WatchLimits,
  ) {
    this.#subscriber = new ChannelSubscriber(client, mode, {
      message: (channel, payload) => this.#message(channel, payload),
      lost: () => this.#topics.failAll(new UnavailableError("redis", { cause: new Error("the watch subscription to Redis was lost") })),
      moved: (channel) => {
        const sessionId = sessionIdOfChannel(channel);
        if (sessionId !== undefined) this.#topics.resyncAll(sessionId);
      },
    });
    this.#topics = new WatchTopics(
      {
        subscribe: (sessionId) => this.#subscriber.subscribe(sessionChannel(sessionId)),
        unsubscribe: (sessionId) => this.#subscriber.unsubscribe(sessionChannel(sessionId)),
        remainingMs: async (sessionId) => {
          const ttl = await this.client.pttl(sessionKeys.session(sessionId));
          if (ttl === -2) return undefined;
          // -1 (no TTL) cannot happen to a session; look again in a minute if it ever does.
          return ttl < 0 ? 60_000 : ttl;
        },
      },
      limits,
    );
  }

  watch(sessionId: string, options: WatchOptions): AsyncGenerator<SessionEvent, void, undefined> {
    return watchSession(this.#topics, this.read, sessionId, options, this.limits);
  }

  /** Watchers and watched sessions in this process. */
  get counts(): { watchers: number; sessions: number } {
    return { watchers: this.#topics.watcherCount, sessions: this.#topics.topicCount };
  }

  close(): void {
    this.#topics.failAll(new UnavailableError("redis", { cause: new Error("the session store is closing") }));
    this.#subscriber.close();
  }

  #message(channel: string, payload: string): void {
    const sessionId = sessionIdOfChannel(channel);
    const event = sessionId === undefined ? undefined : parseSessionEvent(payload);
    if (sessionId !== undefined && event !== undefined) this.#topics.dispatch(sessionId, event, Buffer.byteLength(payload));
  }
}
