import type { SessionRecord } from "../src/domain/session.js";
import type { SessionEvent } from "../src/domain/session-event.js";
import { DEFAULT_WATCH_LIMITS } from "../src/watch/watch-limits.js";
import { watchSession } from "../src/watch/watch-session.js";
import { WatchTopics } from "../src/watch/watch-topics.js";

const change = (version: number): SessionEvent => ({
  kind: "updated",
  version,
  at: 0,
  expiresAt: Date.now() + 60_000,
  caseId: undefined,
  contextCleared: false,
  setContext: {},
  removedContextKeys: [],
});
const record = (version: number): SessionRecord => ({
  sessionId: "s1",
  userId: "u",
  clientId: "c",
  caseId: "",
  createdAt: 0,
  lastActivity: 0,
  expiresAt: Date.now() + 60_000,
  absoluteExpiresAt: undefined,
  messages: [],
  messageCount: 0,
  context: {},
  version,
});

/** A watch over topics with no store behind them: `read` answers what the test sets, events are dispatched by hand. */
const harness = (bufferEvents: number) => {
  const topics = new WatchTopics(
    { subscribe: async () => undefined, unsubscribe: () => undefined, remainingMs: async () => 60_000 },
    DEFAULT_WATCH_LIMITS,
  );
  const state: { session: SessionRecord | undefined } = { session: record(3) };
  const controller = new AbortController();
  const events = watchSession(
    topics,
    async () => state.session,
    "s1",
    { includeTouches: false, signal: controller.signal },
    {
      ...DEFAULT_WATCH_LIMITS,
      bufferEvents,
    },
  );
  return { topics, state, events, controller };
};

/** The final event of a watch whose resync read finds the session gone carries the version its live event would. */
describe("watchSession: a deletion found by a resync", () => {
  it("ends with `deleted` one past the newest version seen when its buffer overflowed before the delete's own event came", async () => {
    const { topics, state, events } = harness(1);
    expect((await events.next()).value).toMatchObject({ kind: "snapshot", version: 3 });
    topics.dispatch("s1", change(4), 10);
    topics.dispatch("s1", change(5), 10);
    state.session = undefined;
    expect((await events.next()).value).toEqual({ kind: "deleted", version: 6 });
    expect((await events.next()).done).toBe(true);
  });

  it("ends with the published delete's version when that event arrived behind a gap", async () => {
    const { topics, state, events } = harness(256);
    expect((await events.next()).value).toMatchObject({ kind: "snapshot", version: 3 });
    topics.dispatch("s1", change(5), 10);
    topics.dispatch("s1", { kind: "deleted", version: 7 }, 10);
    state.session = undefined;
    expect((await events.next()).value).toEqual({ kind: "deleted", version: 7 });
    expect((await events.next()).done).toBe(true);
  });
});
