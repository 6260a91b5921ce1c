import type { Redis } from "ioredis";

let written = 0;

/**
 * Writes a session as the version before the message list wrote it: its id
 * in a `session_id` field, every counter and empty field stored, and each
 * message as a JSON field `m:<seq>` ({role, content, metadata, timestamp}).
 * Answers its id. TTL 30 min.
 */
export async function writeEarlierLayout(
  admin: Redis,
  options: { userId: string; context?: Record<string, string>; messages?: string[]; metadata?: Record<string, string> },
): Promise<string> {
  const id = `sess_earlierlayout${String(++written).padStart(6, "0")}${Date.now() % 100_000}`;
  const [seconds] = await admin.time();
  const now = Number(seconds) * 1000;
  const context = Object.entries(options.context ?? {});
  const messages = (options.messages ?? []).map((content, i) =>
    JSON.stringify({ role: i % 2 === 0 ? "user" : "assistant", content, metadata: options.metadata ?? {}, timestamp: now - 1000 + i }),
  );
  const key = `session:${id}`;
  await admin.hset(key, {
    session_id: id,
    user_id: options.userId,
    client_id: "earlier_client",
    case_id: "",
    created_at: now - 2000,
    last_activity: now - 1000 + messages.length,
    msg_seq: messages.length,
    ctx_entries: context.length,
    ctx_bytes: context.reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + Buffer.byteLength(v), 0),
    msg_bytes: messages.reduce((sum, m) => sum + Buffer.byteLength(m), 0),
    ver: 1 + messages.length,
    ...Object.fromEntries(context.map(([k, v]) => [`c:${k}`, v])),
    ...Object.fromEntries(messages.map((m, i) => [`m:${i + 1}`, m])),
  });
  await admin.pexpire(key, 1_800_000);
  return id;
}
