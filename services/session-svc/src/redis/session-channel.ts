import type { RedisMode } from "@faultmaven/redis";
import { sessionKeys } from "./keys.js";

/**
 * The pub/sub channel a session's write scripts announce its changes on:
 * `{session:<id>}:events`. Its hash tag is the session key itself, so on
 * Redis Cluster the channel sits in the session's slot (a script may
 * SPUBLISH to it, and one shard carries it). The scripts derive the same
 * name from KEYS[1] (PRELUDE `publish`).
 */
export function sessionChannel(sessionId: string): string {
  return `{${sessionKeys.session(sessionId)}}:events`;
}

/** The session id of a channel named by `sessionChannel`, or undefined for any other channel. */
export function sessionIdOfChannel(channel: string): string | undefined {
  const match = /^\{session:(sess_[A-Za-z0-9_-]+)\}:events$/.exec(channel);
  return match?.[1];
}

/** Sharded pub/sub on Cluster (Redis 7), plain pub/sub elsewhere. */
export function publishCommand(mode: RedisMode): "PUBLISH" | "SPUBLISH" {
  return mode === "cluster" ? "SPUBLISH" : "PUBLISH";
}
