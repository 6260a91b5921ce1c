import { SessionNotFoundError } from "../domain/errors.js";
import type { SessionRecord } from "../domain/session.js";
import { isFinal, type SessionEvent, type WatchOptions } from "../domain/session-event.js";
import type { WatchLimits } from "./watch-limits.js";
import type { WatchTopics } from "./watch-topics.js";
import { Watcher } from "./watcher.js";

/** Reads the session as it is now (undefined when gone). */
export type ReadSession = (sessionId: string) => Promise<SessionRecord | undefined>;

/**
 * One watch of a session, the same for every store: join the session's
 * topic (its events reach the watcher from then on), read the session, open
 * with a snapshot (or `caught_up` when it is still at `fromVersion`), then
 * hand out the watcher's events, reading a fresh snapshot whenever the
 * watcher found a gap. A session found gone by a resync read ends the watch
 * with `expired` when its expiry has passed, else `deleted`. Aborting
 * `options.signal` leaves the topic at once (the subscription goes with the
 * last watcher) and ends the iteration.
 */
export async function* watchSession(
  topics: WatchTopics,
  read: ReadSession,
  sessionId: string,
  options: WatchOptions,
  limits: WatchLimits,
): AsyncGenerator<SessionEvent, void, undefined> {
  const watcher = new Watcher(options.includeTouches, limits, topics.budget);
  const detach = await topics.attach(sessionId, watcher, options.caller ?? "");
  const cancel = () => {
    detach();
    watcher.end();
  };
  options.signal.addEventListener("abort", cancel, { once: true });
  try {
    if (options.signal.aborted) return;
    let known = await read(sessionId);
    if (!known) throw new SessionNotFoundError(sessionId);
    topics.noteSnapshot(sessionId, known.version, known.expiresAt);
    watcher.resynced(known.version);
    if (options.signal.aborted) return;
    yield options.fromVersion === known.version
      ? { kind: "caught_up", version: known.version, expiresAt: known.expiresAt }
      : { kind: "snapshot", version: known.version, session: known, resync: false };
    for (;;) {
      const step = await watcher.next();
      if (options.signal.aborted || "end" in step) return;
      if ("event" in step) {
        yield step.event;
        if (isFinal(step.event)) return;
        if (step.event.kind !== "snapshot" && "expiresAt" in step.event) known = { ...known, expiresAt: step.event.expiresAt };
        continue;
      }
      const fresh = await read(sessionId);
      if (options.signal.aborted) return;
      if (!fresh) {
        // A delete is a write (the version after the last one, as its own event says); an expiry is not.
        yield known.expiresAt <= Date.now() && !watcher.sawDelete
          ? { kind: "expired", version: watcher.newestVersion }
          : { kind: "deleted", version: watcher.deletedVersion };
        return;
      }
      known = fresh;
      topics.noteSnapshot(sessionId, fresh.version, fresh.expiresAt);
      watcher.resynced(fresh.version);
      yield { kind: "snapshot", version: fresh.version, session: fresh, resync: true };
    }
  } finally {
    options.signal.removeEventListener("abort", cancel);
    detach();
    watcher.release();
  }
}
