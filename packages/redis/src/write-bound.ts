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

/**
 * The Redis-clock time (Unix ms) after which a script sent now must not take
 * effect, or 0 for a client without a clock. It falls before the moment this
 * process stops waiting for the reply (the command timeout, or the call's
 * deadline when sooner), by a margin for the reply's way back and the
 * clock's uncertainty. So a script delayed in a stalled connection or a
 * frozen server finds the bound passed and does nothing: a call answered
 * UNAVAILABLE or DEADLINE_EXCEEDED has not taken effect and will not.
 */
export function notAfter(client: RedisClient): number {
  const timing = timings.get(client);
  if (timing === undefined) return 0;
  const deadline = currentCallScope()?.deadline;
  const budget = Math.min(timing.commandTimeoutMs, deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now());
  const { ms, uncertaintyMs } = timing.clock.now();
  const margin = Math.max(20, budget / 10) + uncertaintyMs;
  return Math.floor(ms + budget - margin);
}
