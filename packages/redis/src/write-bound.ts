import { currentCallScope } from "@faultmaven/call-scope";
import type { RedisClient } from "./client.js";
import type { RedisClock } from "./redis-clock.js";

interface ClientTiming {
  readonly clock: RedisClock;
  readonly commandTimeoutMs: number;
}

const timings = new WeakMap<RedisClient, ClientTiming>();

/** Lets scripts sent through `client` carry a not-after bound (see `notAfter`). */
export function boundWrites(client: RedisClient, clock: RedisClock, commandTimeoutMs: number): void {
  timings.set(client, { clock, commandTimeoutMs });
}

/** When a script sent now must stop taking effect, and whether the call's deadline (not the command timeout) set it. */
export interface WriteBound {
  /** Redis clock, Unix ms. */
  readonly notAfter: number;
  /** The time now in the Redis clock (Unix ms). */
  readonly now: number;
  readonly byDeadline: boolean;
}

/**
 * The Redis-clock time (Unix ms) after which a script sent now must not take
 * effect, or undefined for a client without a clock. It falls before the
 * moment this process stops waiting for the reply (the command timeout, or
 * the call's deadline when sooner), by a margin for the reply's way back and
 * the clock's uncertainty. So a script delayed in a stalled connection or a
 * frozen server finds the bound passed and does nothing: a call answered
 * UNAVAILABLE or DEADLINE_EXCEEDED has not taken effect and will not.
 */
export function writeBound(client: RedisClient): WriteBound | undefined {
  const timing = timings.get(client);
  if (timing === undefined) return undefined;
  const deadline = currentCallScope()?.deadline;
  const untilDeadline = deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now();
  const budget = Math.min(timing.commandTimeoutMs, untilDeadline);
  const { ms, uncertaintyMs } = timing.clock.now();
  const margin = Math.max(20, budget / 10) + uncertaintyMs;
  return { notAfter: Math.floor(ms + budget - margin), now: ms, byDeadline: untilDeadline < timing.commandTimeoutMs };
}
