import { UnavailableError } from "@faultmaven/errors";
import type { RedisClient } from "./client.js";
import type { RedisMode } from "./config.js";
import type { LuaScript } from "./lua-script.js";

/** One script call with every key it touches declared in KEYS. */
export interface ScriptCall {
  readonly script: LuaScript;
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
}

/**
 * What a planned script answers when a key it was planned with is no longer
 * the right one (the plan read a pointer that changed before the script
 * ran): nothing was written, and the step is planned again.
 */
export const STALE_PLAN = "stale_plan";

/** Calls allowed in the split form of a step: scripts and commands on one key each. */
export interface SingleKeyCalls {
  /** Runs `script` with exactly one key. */
  script(script: LuaScript, key: string, args: readonly (string | number)[]): Promise<unknown>;
  /** For single-key commands (GET, HSET, ZADD...). */
  readonly client: RedisClient;
}

/** How a step runs in each topology; both forms give the same result shape. */
export interface MultiKeyStepDefinition<I, R> {
  /**
   * The whole step as ONE script over all its keys, used where they may
   * share a script (standalone and Sentinel). It may read first to learn a
   * key it must declare (such as the report a pointer names); the script
   * then re-checks what was read and answers STALE_PLAN when it changed.
   * Undefined when the keys cannot be known up front: the split form runs.
   */
  plan(client: RedisClient, input: I): ScriptCall | undefined | Promise<ScriptCall | undefined>;
  /** The planned script's reply as the step's result. */
  decode(reply: unknown, input: I): R;
  /** The same step as a declared sequence of single-key calls (Redis Cluster, where the keys sit in different slots). */
  split(calls: SingleKeyCalls, input: I): Promise<R>;
}

/** Re-plans allowed when concurrent writers keep changing what a plan read. */
const MAX_PLANS = 100;

/**
 * A write over several keys, the one mechanism for "atomic script on
 * standalone/Sentinel, single-key steps on Cluster": Redis Cluster refuses a
 * script whose keys sit in different slots (CROSSSLOT), and every other
 * topology runs the step as one atomic script with all its keys declared.
 */
export class MultiKeyStep<I, R> {
  constructor(
    readonly name: string,
    private readonly definition: MultiKeyStepDefinition<I, R>,
  ) {}

  async run(client: RedisClient, mode: RedisMode, input: I): Promise<R> {
    if (sharesScripts(mode)) {
      for (let attempt = 0; attempt < MAX_PLANS; attempt++) {
        const call = await this.definition.plan(client, input);
        if (call === undefined) return this.definition.split(singleKeyCalls(client), input);
        const reply = await call.script.run(client, call.keys, call.args);
        if (reply !== STALE_PLAN) return this.definition.decode(reply, input);
      }
      // Only a storm of concurrent writers to the same keys gets here: worth a retry.
      throw new UnavailableError("redis");
    }
    return this.definition.split(singleKeyCalls(client), input);
  }
}

/** True where one script may touch keys of any name (not Redis Cluster). */
export function sharesScripts(mode: RedisMode): boolean {
  return mode !== "cluster";
}

function singleKeyCalls(client: RedisClient): SingleKeyCalls {
  return { client, script: (script, key, args) => script.run(client, [key], args) };
}
