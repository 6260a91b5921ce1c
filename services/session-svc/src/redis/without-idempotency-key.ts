import { currentCallScope, runInCallScope, withIdempotency } from "@faultmaven/call-scope";

/**
 * Runs `work` in the call's scope without its idempotency key: for a write
 * that is a step of a call, not its effect (a call has ONE idempotent
 * script, which records its answer), such as the resume inside CreateSession
 * on Redis Cluster.
 */
export function withoutIdempotencyKey<T>(work: () => T): T {
  const scope = currentCallScope();
  if (!scope?.idempotency) return work();
  return runInCallScope(withIdempotency(scope, undefined), work);
}
