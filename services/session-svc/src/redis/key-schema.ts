import { auditStreamPattern } from "@faultmaven/audit";
import { defineKeySchema, idempotencyRecordPattern, KeyPattern, part } from "@faultmaven/redis";
import { SESSION_ID_PATTERN } from "../domain/session-id.js";
import { LIST_PAGE_MAX_BYTES, SESSION_LIMITS } from "../domain/session-limits.js";

const sessionId = part("session_id", { pattern: SESSION_ID_PATTERN, patternDescription: "a session id (sess_...)" });
const userId = part("user_id");
const clientId = part("client_id");

/**
 * The session-svc key schema (DESIGN.md §2): the one definition its key
 * builders, the keyspace audit, the namespace sampler and
 * docs/key-schema.md (`pnpm docs:keys`) are derived from.
 */
export const sessionKeySchema = defineKeySchema({
  service: "session-svc",
  keys: {
    session: new KeyPattern("session:{session_id}", [sessionId], {
      type: "Hash (small: listpack encoding while every value is under 64 bytes and there are under 128 fields)",
      ttl: "idle TTL (30 min), slid by every write and touch; capped by the absolute lifetime when set",
      writtenBy: "CreateSession, UpdateSession, AppendMessage, TouchSession, lock calls; DeleteSession removes it",
      fields: [
        ["`user_id`, `client_id`", "who the session belongs to (its id is the key's; it is not stored again)"],
        ["`case_id`", "the linked case; absent when none"],
        ["`created_at`, `last_activity`, `absolute_expires_at`", "Unix ms (Redis clock); the last only with a lifetime cap"],
        ["`c:{key}`", "one context entry per field, so updates of different keys never collide"],
        ["`msg_seq`", "messages ever appended; absent before the first"],
        ["`ver`", "the session's version: 1 at creation, +1 with every change (not touches); WatchSession events carry it"],
        [
          "`ctx_entries`, `ctx_bytes`, `msg_bytes`",
          `running counters of the session limits, kept by the write scripts (absent while 0): context entries (at most ${SESSION_LIMITS.contextEntries}), context key plus value bytes (at most ${SESSION_LIMITS.contextBytes}) and stored message bytes (at most ${SESSION_LIMITS.messageBytes})`,
        ],
        [
          "`lock_owner`, `lock_until`, `lock_fence`",
          'the session lock (seed: "SETNX for session locking"), kept in the hash so acquire/refresh/release are one atomic single-key script; `lock_fence` is the fencing token and only grows',
        ],
        [
          "`session_id`, `m:{seq}` (earlier layout)",
          "a session written by an earlier version also holds its id and its messages as JSON fields `{role, content, metadata, timestamp}`; it is read as it is, and its next append moves the messages to `{session:{session_id}}:msgs` and drops these fields",
        ],
      ],
    }),
    messages: new KeyPattern("{session:{session_id}}:msgs", [sessionId], {
      type:
        "List: the session's recent messages, oldest first, each as one string: the role's first letter (u, a, s, t), " +
        "the timestamp (Unix ms, Redis clock), U+001F, the metadata as JSON (empty when none), U+001F, the content as is",
      ttl: "the session's, slid with it",
      writtenBy:
        "AppendMessage (RPUSH the new one, LPOP the oldest beyond `SESSION_MAX_MESSAGES` or the message byte limit); DeleteSession removes it; absent until the first message",
    }),
    clientIndex: new KeyPattern("client_session:{user_id}:{client_id}", [userId, clientId], {
      type: "String: session_id",
      ttl: "same as its session, renewed with it while it points at it",
      writtenBy: "CreateSession; DeleteSession removes it when it still points at the session",
    }),
    userIndex: new KeyPattern("session:user_sessions:{user_id}", [userId], {
      type: "Sorted set: session ids, score = creation time (ms)",
      ttl: "the longest of its sessions' TTLs (only ever extended)",
      writtenBy: "CreateSession; ListSessions prunes ids of expired sessions; keeps the newest 1000",
    }),
    audit: auditStreamPattern("session:"),
    sessionCallRecord: idempotencyRecordPattern(
      "session:",
      "UpdateSession, AppendMessage, DeleteSession, AcquireSessionLock, RefreshSessionLock, ReleaseSessionLock (anchor: `session:{session_id}`)",
    ),
    createRecord: idempotencyRecordPattern("client_session:", "CreateSession (anchor: `client_session:{user_id}:{client_id}`)"),
  },
  notes: [
    `**Limits.** A session holds at most ${SESSION_LIMITS.contextEntries} context entries and ${SESSION_LIMITS.contextBytes} bytes ` +
      `of context keys plus values, and keeps its most recent messages within \`SESSION_MAX_MESSAGES\` (50) and ` +
      `${SESSION_LIMITS.messageBytes} bytes as stored (content, metadata JSON, 16 bytes of role, timestamp and separators). ` +
      "The write scripts check them atomically with the write, reading and updating the running counters " +
      "`ctx_entries`, `ctx_bytes` and `msg_bytes` (O(the change), never a scan; a session written before the counters " +
      "existed is counted once). An update that would go past a context limit writes nothing and answers " +
      "FAILED_PRECONDITION naming the limit (`session.context_entries`, `session.context_bytes`); an append drops the " +
      "oldest messages to make room. So one session (hash and message list) holds at most about 1.5 MiB of data (MEMORY USAGE, allocator " +
      "overhead included, under 2.5 MiB: 1.8 MB measured at every limit), " +
      `any session fits gRPC's default 4 MiB reply, and a ListSessions page ends before ${LIST_PAGE_MAX_BYTES} bytes of ` +
      "sessions (with at least one session).",
    "**CreateSession** (create or resume) on standalone Redis and Sentinel is one Lua script over the new session " +
      "(`session:{session_id}`, id made by session-svc), its client index, its user index and, when the client index names " +
      "one, that session's key: it resumes that session when it is live and of the same user and client (sliding its TTL " +
      "and renewing both indexes), or else writes the new session, points the client index at it and adds it to the user " +
      "index, all at once, so no deadline or crash leaves a session that an index misses. The store first bets that the " +
      "client index is empty, sending its read together with the script (one round trip for a new pair); when the index " +
      "names a session the script writes nothing and answers `stale_plan`, and the store sends it again naming that session " +
      "(two round trips). On Redis Cluster, where the three keys sit in different slots, CreateSession is a series of " +
      "single-key steps: read the index, resume through it or write the new session, claim the index (compare-and-set, the " +
      "commit), add to the user index. A call cut short before its claim (deadline, crash) can leave a new session that no " +
      "index names and no caller knows until its idle TTL ends; one cut short after it answers OK although the user index " +
      "may not list the session (a retry with the same idempotency key adds it).",
    "**Idempotency records** (`session:idem:{...}`, `client_session:idem:{...}`): the call's one idempotent script writes " +
      "its record atomically with its effect, in its anchor's slot. CreateSession's record holds its small reply " +
      "(`created` with the new session's id, creation time and TTL, or `resumed` with the id; a retry reads a resumed " +
      "session afresh); on Cluster it is written by the index claim, and a retry asks for it before redoing any step. " +
      "DeleteSession and the lock calls record their reply, and so do UpdateSession and AppendMessage (their small reply: " +
      "times, counters, version; a retried append rebuilds its message from the request and the recorded timestamp). " +
      "With `return_session` they record only the request's fingerprint: a retry answers the counters and session as they " +
      "are now, the change having been made once.",
    "**Layout and cost.** The hash stays small (listpack: a session as created is about 200 bytes, its indexes included under " +
      "400) because messages, the only long values, live in the list `{session:{session_id}}:msgs`, whose hash tag puts it " +
      "in the hash's slot, so one script touches both on Cluster too. GetSession is one read script (HGETALL and LRANGE); " +
      "an append pushes one string and pops the oldest, an update sets its fields, and both answer the new counters, not " +
      "the session (unless the call sets `return_session`), so their work does not grow with the session. A message is " +
      "stored in a compact form, not JSON: reading one takes two `indexOf` and parses JSON only for metadata.",
    "**FindSessionByClient** on standalone Redis and Sentinel is one read script over the client index and the session " +
      "this process last saw it name (a bounded in-process cache; a pair never changes its user): it answers the session " +
      "when the index still names it, or the id it names now, which is read next (two round trips, as for a pair this " +
      "process has not seen). On Cluster it is GET, then the session.",
    "Every other session write is one Lua script on `session:{session_id}` (with its message list). On standalone Redis and Sentinel the same " +
      "script also renews the client index (while it points at the session) and the user index (while it lists the " +
      "session), one round trip: the store passes both keys in `KEYS`, built from the session's user and client ids, " +
      "which it learns from the session itself and keeps in a bounded in-process cache (they never change). When it does " +
      "not know them yet (a session this process has not seen), and always on Redis Cluster, where those keys sit in " +
      "other slots, the script runs on the session key alone and the store renews the indexes with follow-up single-key " +
      "scripts (`REDIS_CLUSTER_NODES` selects Cluster).",
    "**Watch events** (WatchSession) are not keys: every session write script publishes its change, from the script, on " +
      "the channel `{session:{session_id}}:events` (PUBLISH; SPUBLISH on Cluster, where the hash tag puts the channel in " +
      "the session's slot). Nothing is stored for them.",
  ],
});
