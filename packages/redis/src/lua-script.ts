import { createHash } from "node:crypto";
import { currentCallScope } from "@faultmaven/call-scope";
import { DeadlineExceededError, UnavailableError } from "@faultmaven/errors";
import { ReplyError } from "ioredis";
import { isRedisUnavailable, neverReachedRedis } from "./call-redis.js";
import type { RedisClient } from "./client.js";
import { idempotencyRecordKey } from "./idempotency-record.js";
import { writeBound } from "./write-bound.js";

/** How a script takes part in idempotent calls. */
export interface Idempotence {
  /** The index in KEYS of the key whose slot the idempotency record shares (default 0). */
  readonly anchor?: number;
  /**
   * Lua statements answering a retry instead of the recorded reply, for
   * replies too large to keep (a whole session): only the request's
   * fingerprint is recorded then.
   */
  readonly replay?: string;
}

export interface LuaScriptOptions {
  /**
   * The script is the effect of an idempotent call: when the call carries
   * an idempotency key (see IdempotencyKey), the script records its reply
   * under it, in the same atomic run as its effect, and answers a retry with
   * that reply without acting again. Error replies and STALE_PLAN are not
   * recorded (the script had no effect).
   */
  readonly idempotent?: Idempotence;
  /**
   * The script reads (or its write is incidental, like a usage count): a
   * timeout is a plain outage to its caller (STORE_UNAVAILABLE), not a write
   * whose outcome is unknown.
   */
  readonly readOnly?: boolean;
}

/**
 * A Lua script called by its SHA1 (EVALSHA): one round trip normally, with
 * one EVAL fallback when the server has not seen it yet (after a restart or
 * on a new Cluster node).
 *
 * Every script carries a not-after bound (see `notAfter`) as its last
 * argument, checked against the Redis clock before the script's own code
 * runs: a script that reaches Redis after its caller stopped waiting answers
 * `LATE` and does nothing. The script's own KEYS and ARGV are as its caller
 * gave them (the bound and the idempotency record are taken off first).
 */
export class LuaScript {
  readonly sha: string;
  readonly source: string;

  constructor(
    readonly name: string,
    body: string,
    private readonly options: LuaScriptOptions = {},
  ) {
    this.source = wrap(body, options.idempotent);
    this.sha = createHash("sha1").update(this.source).digest("hex");
  }

  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const allKeys = [...keys];
    const allArgs = [...args];
    if (this.options.idempotent) {
      const key = currentCallScope()?.idempotency;
      if (key) {
        allKeys.push(idempotencyRecordKey(keys[this.options.idempotent.anchor ?? 0]!, key.name));
        allArgs.push(key.fingerprint, key.windowMs);
      } else {
        allArgs.push(0);
      }
    }
    const bound = writeBound(client);
    if (bound && bound.notAfter <= bound.now) {
      // So little time is left that no reply could come back in time: do not send it.
      const cause = new Error(`redis script ${this.name} not sent: too little time left for its reply`);
      throw bound.byDeadline ? new DeadlineExceededError({ cause }) : new UnavailableError("redis", { cause });
    }
    allArgs.push(bound?.notAfter ?? 0);
    try {
      return await this.#send(client, allKeys, allArgs);
    } catch (error) {
      throw explained(error, bound?.byDeadline === true, this.options.readOnly === true);
    }
  }

  async #send(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}

/** What a script's failure means for its caller. */
function explained(error: unknown, boundByDeadline: boolean, readOnly: boolean): unknown {
  // A script that came too late for the caller's deadline: the deadline is the truth, not an outage.
  if (boundByDeadline && error instanceof ReplyError && (error as Error).message.startsWith("LATE")) {
    return new DeadlineExceededError({ cause: error });
  }
  // Sent, and no answer in time (a timeout, a connection lost in flight): almost always the script
  // will reach Redis late and do nothing, but it may have run in time with its reply held up.
  if (!readOnly && isRedisUnavailable(error) && !(error instanceof ReplyError) && !neverReachedRedis(error)) {
    return new UnavailableError("redis", { cause: error, outcomeUnknown: true });
  }
  return error;
}

const BOUND = `
local __not_after = tonumber(table.remove(ARGV))
if __not_after > 0 then
  local __t = redis.call('TIME')
  if tonumber(__t[1]) * 1000 + math.floor(tonumber(__t[2]) / 1000) > __not_after then
    return redis.error_reply('LATE the script reached Redis after its not-after bound and did nothing')
  end
end
`;

function wrap(body: string, idempotent: Idempotence | undefined): string {
  const effect = `local function __effect()\n${body}\nend\n`;
  if (!idempotent) return `${effect}${BOUND}return __effect()\n`;
  const replay = idempotent.replay
    ? `local function __replay()\n${idempotent.replay}\nend\n`
    : "local function __replay(recorded) return cmsgpack.unpack(recorded) end\n";
  const record = idempotent.replay ? "__fingerprint" : "__fingerprint .. cmsgpack.pack(__reply)";
  return `${effect}${replay}${BOUND}
local __window = tonumber(table.remove(ARGV))
if __window == 0 then return __effect() end
local __fingerprint = table.remove(ARGV)
local __record = table.remove(KEYS)
local __prior = redis.call('GET', __record)
if __prior then
  if string.sub(__prior, 1, 64) ~= __fingerprint then
    return redis.error_reply('IDEMPOTENCY_KEY_REUSED the idempotency key was used with a different request')
  end
  return __replay(string.sub(__prior, 65))
end
local __reply = __effect()
if __reply ~= 'stale_plan' and not (type(__reply) == 'table' and __reply.err) then
  redis.call('SET', __record, ${record}, 'PX', __window)
end
return __reply
`;
}
