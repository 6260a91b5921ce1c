import { CancelledError, DeadlineExceededError, UnavailableError } from "@faultmaven/errors";
import { isRedisUnavailable } from "@faultmaven/redis";

/**
 * Runs the cleanup that follows a call's commit (releasing claims, removing
 * a revoked token's key and list entry). The call has taken effect, so it
 * answers that; if Redis fails the cleanup now, what stays behind is debris
 * no read counts (a claim the next claimer takes over, a token key without
 * metadata, a list entry pruned when met), and a retry with the same key
 * runs the cleanup again. Other errors are bugs and pass.
 */
export async function afterCommit(cleanup: () => Promise<unknown>): Promise<void> {
  try {
    await cleanup();
  } catch (error) {
    const outage = isRedisUnavailable(error) || error instanceof UnavailableError;
    if (outage || error instanceof DeadlineExceededError || error instanceof CancelledError) return;
    throw error;
  }
}
