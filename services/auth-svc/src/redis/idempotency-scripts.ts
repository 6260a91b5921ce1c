import { currentCallScope } from "@faultmaven/call-scope";
import { LuaScript, type RedisClient } from "@faultmaven/redis";
import { ReplyError } from "ioredis";

/**
 * What a keyed call already answered: the idempotent wrapper answers a
 * recorded reply (or refuses a key reused with another request); with
 * nothing recorded the body answers NOT_RECORDED, an error, so nothing is
 * written. Lets a retry skip the steps (and argon2 runs) that come before
 * its idempotent commit.
 */
const RECORDED_REPLY = new LuaScript("auth_recorded_reply", "return redis.error_reply('NOT_RECORDED nothing recorded under this key')", {
  idempotent: {},
  readOnly: true,
});

/**
 * CreateUser's reservation (KEYS[1]: auth:user_list, the one key every
 * create shares): answers ARGV[1], the user id this attempt drew, and does
 * nothing else. The record is what matters: a retry with the same key gets
 * the first attempt's user id, so every attempt of one keyed create works
 * on the same user and the same claims; and a key reused with another
 * request is refused, whatever its username.
 */
export const RESERVE_USER_ID = new LuaScript("auth_user_reserve_id", "return ARGV[1]", { idempotent: {} });

/** Records a count as a keyed call's reply (RevokeUserTokens' last step, on the user's token list). */
export const RECORD_COUNT = new LuaScript("auth_record_count", "return tonumber(ARGV[1])", { idempotent: {} });

/** True when the current call carries an idempotency key. */
export function keyed(): boolean {
  return currentCallScope()?.idempotency !== undefined;
}

/**
 * The reply recorded under the current call's key at `anchor`, or undefined
 * when the call has no key or nothing is recorded yet (an attempt may still
 * be under way: that is not an answer). Raises IDEMPOTENCY_KEY_REUSED (see
 * callRedis) for the key used with another request.
 */
export async function recordedReply(client: RedisClient, anchor: string): Promise<unknown> {
  if (!keyed()) return undefined;
  try {
    return await RECORDED_REPLY.run(client, [anchor], []);
  } catch (error) {
    if (error instanceof ReplyError && (error as Error).message.startsWith("NOT_RECORDED")) return undefined;
    throw error;
  }
}

/** Runs a script, turning the error reply `code` (the script's "no such thing") into undefined. */
export async function unlessRefused(code: string, run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ReplyError && (error as Error).message.startsWith(`${code} `)) return undefined;
    throw error;
  }
}
