import { type LuaScript, MultiKeyStep, type SingleKeyCalls } from "@faultmaven/redis";
import { INDEX_RENEW_OR_DELETE, USER_INDEX_ADD_OR_RENEW } from "./scripts/index-scripts.js";
import type { SessionIdentity } from "./session-identities.js";
import { sessionKeys } from "./keys.js";

/** How many sessions a user index keeps (newest first); older ones drop out of ListSessions. */
export const USER_INDEX_LIMIT = 1000;

/** A session script call: the session, its identity when known, the script's ARGV. */
export interface SessionCall {
  readonly sessionId: string;
  readonly identity: SessionIdentity | undefined;
  readonly args: readonly (string | number)[];
}

/** What a session script's reply says the indexes need: renewal to `ttl` ms, or removal (ttl 0). */
export interface IndexUpkeep extends SessionIdentity {
  readonly ttl: number;
}

/**
 * A session script with its index upkeep as one MultiKeyStep: with the
 * session's identity known, and where keys may share a script, one script
 * over the session (hash and message list) and both indexes; otherwise the
 * script on the session alone (its two keys share a slot), then the upkeep
 * its reply asks for as single-key scripts. The result is the script's
 * reply either way.
 */
export function sessionStep(script: LuaScript, upkeepOf: (reply: unknown) => IndexUpkeep | undefined): MultiKeyStep<SessionCall, unknown> {
  return new MultiKeyStep<SessionCall, unknown>(script.name, {
    plan: (_, call) =>
      call.identity && {
        script,
        keys: [
          ...sessionKeysOf(call.sessionId),
          sessionKeys.clientIndex(call.identity.userId, call.identity.clientId),
          sessionKeys.userIndex(call.identity.userId),
        ],
        args: call.args,
      },
    decode: (reply) => reply,
    split: async (calls, call) => {
      // Not calls.script (one key): the hash and its message list share a slot, so one script may take both.
      const reply = await script.run(calls.client, sessionKeysOf(call.sessionId), call.args);
      const upkeep = upkeepOf(reply);
      // The script above was the call's effect: upkeep that fails after it must not answer an error for a
      // write that happened. A retry with the same idempotency key gets the reply again and redoes the upkeep.
      if (upkeep) await keepIndexes(calls, call.sessionId, upkeep).catch(() => undefined);
      return reply;
    },
  });
}

/** A session's own keys, which share one slot: its hash and its message list. */
export function sessionKeysOf(sessionId: string): [string, string] {
  return [sessionKeys.session(sessionId), sessionKeys.messages(sessionId)];
}

/**
 * Renews (or, for ttl 0, removes) a session's indexes after its script ran.
 * Every step is harmless if it runs late, so item "no late effects" does not
 * rest on the scripts' not-after bound here: a renewal only lengthens a TTL
 * while the index still names or lists this session (at worst an index
 * outlives its session a little, and readers check the session anyway);
 * the client index is deleted only while it names this deleted session; and
 * the ZREM (a plain command, no bound) removes the id of a deleted session,
 * an entry that can only point at nothing (session ids are never reused).
 */
async function keepIndexes(calls: SingleKeyCalls, sessionId: string, upkeep: IndexUpkeep): Promise<void> {
  const clientIndex = sessionKeys.clientIndex(upkeep.userId, upkeep.clientId);
  const userIndex = sessionKeys.userIndex(upkeep.userId);
  if (upkeep.ttl === 0) {
    await calls.script(INDEX_RENEW_OR_DELETE, clientIndex, [sessionId, 0]);
    await calls.client.zrem(userIndex, sessionId);
    return;
  }
  await Promise.all([
    calls.script(INDEX_RENEW_OR_DELETE, clientIndex, [sessionId, upkeep.ttl]),
    calls.script(USER_INDEX_ADD_OR_RENEW, userIndex, ["", sessionId, upkeep.ttl, USER_INDEX_LIMIT]),
  ]);
}
