import { ReplyError } from "ioredis";
import { InvalidArgumentError, UnavailableError } from "@faultmaven/errors";

const OUTAGE_NAMES = new Set(["MaxRetriesPerRequestError", "ClusterAllFailedError"]);
const OUTAGE_MESSAGE =
  /Connection is closed|Stream isn't writeable|Command timed out|None of startup nodes|Failed to refresh slots cache|Cluster isn't ready|Too many Cluster redirections|CLUSTERDOWN|TRYAGAIN|connect E[A-Z]+/;
const OUTAGE_REPLY = /^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|NOREPLICAS|BUSY|OOM|LATE)\b/;
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND"]);

/**
 * True for failures that mean "Redis cannot be reached right now":
 * connection refused or dropped, command timeout, offline client, cluster
 * slots not ready, a server still loading or failing over, a master that
 * refuses writes for want of replicas (NOREPLICAS, min-replicas-to-write), a script that
 * arrived after its not-after bound (LATE: it did nothing). Any other reply
 * error is an answer from Redis (a bug of ours), not an outage.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof ReplyError) return OUTAGE_REPLY.test(error.message);
  const code = (error as { code?: unknown }).code;
  return OUTAGE_NAMES.has(error.name) || OUTAGE_MESSAGE.test(error.message) || (typeof code === "string" && NETWORK_CODES.has(code));
}

/**
 * Runs a Redis operation and turns an outage into UnavailableError (gRPC
 * UNAVAILABLE), leaving other errors as they are: bugs, and the end of the
 * call the operation runs for (DeadlineExceededError, CancelledError, raised
 * by the client's call-scope guard) pass through unchanged.
 */
export async function callRedis<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    // ioredis attaches the failed command with its arguments (which may hold
    // a password hash); errors get logged, so drop it.
    if (error instanceof Error && "command" in error) delete (error as { command?: unknown }).command;
    if (isRedisUnavailable(error)) throw new UnavailableError("redis", { cause: error });
    if (error instanceof ReplyError && (error as Error).message.startsWith("IDEMPOTENCY_KEY_REUSED")) {
      throw new InvalidArgumentError("idempotency_key", "was used with a different request within the idempotency window");
    }
    throw error;
  }
}

/**
 * True when a failed call certainly never reached Redis (the client was
 * offline, the connection was refused), so nothing it would have written
 * exists, or reached it after its not-after bound (LATE) and did nothing. A
 * timeout or a dropped connection is not certain: the command may have run
 * (its not-after bound makes it do nothing if it runs late).
 */
export function neverReachedRedis(error: unknown): boolean {
  const cause = error instanceof UnavailableError ? error.cause : error;
  if (!(cause instanceof Error)) return false;
  const code = (cause as { code?: unknown }).code;
  if (cause instanceof ReplyError && cause.message.startsWith("LATE")) return true;
  return /Stream isn't writeable/.test(cause.message) || code === "ECONNREFUSED";
}
