import { AbortedError } from "@faultmaven/errors";
import type { RedisClient } from "./client.js";
import type { RedisMode } from "./config.js";
import { backOff, type ContentionPolicy, DEFAULT_CONTENTION_POLICY } from "./contention-backoff.js";
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
   * Undefined when the keys cannot be known up front: the split form runs
   * (a step without one must always plan).
   */
  plan(client: RedisClient, input: I): ScriptCall | undefined | Promise<ScriptCall | undefined>;
  /** The planned script's reply as the step's result. */
  decode(reply: unknown, input: I): R;
  /**
   * The same step as a declared sequence of single-key calls (Redis Cluster, where the keys sit in different slots).
   * Left out when every key of the step shares one hash tag: the planned script then runs on Cluster too.
   */
  split?(calls: SingleKeyCalls, input: I): Promise<R>;
}

/**
 * A write over several keys, the one mechanism for "atomic script on
 * standalone/Sentinel, single-key steps on Cluster": Redis Cluster refuses a
 * script whose keys sit in different slots (CROSSSLOT), and every other
 * topology runs the step as one atomic script with all its keys declared.
 * A step without a split form (its keys share one hash tag, so one slot)
 * runs as that one script on Cluster too.
 * A stale plan is planned again, after a jittered backoff once a few went
 * stale (contention-backoff.ts); when every plan goes stale the step answers
 * ABORTED (contention, Redis itself is fine).
 */
export class MultiKeyStep<I, R> {
  constructor(
    readonly name: string,
    private readonly definition: MultiKeyStepDefinition<I, R>,
    private readonly contention: ContentionPolicy = DEFAULT_CONTENTION_POLICY,
  ) {}

  async run(client: RedisClient, mode: RedisMode, input: I): Promise<R> {
    const { split } = this.definition;
    if (!sharesScripts(mode) && split) return split(singleKeyCalls(client), input);
    for (let plan = 0; plan < this.contention.maxPlans; plan++) {
      await backOff(this.contention, plan);
      const call = await this.definition.plan(client, input);
      if (call === undefined) {
        if (!split) throw new Error(`${this.name}: no plan and no split form`);
        return split(singleKeyCalls(client), input);
      }
      const reply = await call.script.run(client, call.keys, call.args);
      if (reply !== STALE_PLAN) return this.definition.decode(reply, input);
    }
    // Only a storm of concurrent writers to the same keys gets here: worth a retry.
    throw new AbortedError(this.name);
  }
}

/** True where one script may touch keys of any name (not Redis Cluster). */
export function sharesScripts(mode: RedisMode): boolean {
  return mode !== "cluster";
}

function singleKeyCalls(client: RedisClient): SingleKeyCalls {
  return { client, script: (script, key, args) => script.run(client, [key], args) };
}
