import { CancelledError, DeadlineExceededError } from "@faultmaven/errors";
import type { CallScope } from "./call-scope.js";

/**
 * A cancellation this close to the deadline is the caller's own deadline
 * timer (its RST_STREAM races the server's timer, which started later by the
 * network latency), and is named DeadlineExceeded.
 */
const DEADLINE_RACE_MS = 100;

/** A scope being served: cancel it when the caller goes away, close it when the call is answered. */
export interface OpenCallScope {
  readonly scope: CallScope;
  /** The caller cancelled: aborts the signal with a CancelledError (a DeadlineExceededError once the deadline has passed, or all but). */
  cancel(): void;
  /** The call is answered: stops the deadline timer. */
  close(): void;
}

/**
 * Opens the scope of a call with an optional deadline (Unix ms). The signal
 * aborts at the deadline (a timer, so that work waiting on a store is
 * interrupted), or at once when the deadline has already passed.
 */
export function openCallScope(deadline: number | undefined): OpenCallScope {
  const controller = new AbortController();
  const expire = () => controller.abort(new DeadlineExceededError());
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) expire();
    else timer = setTimeout(expire, remaining);
  }
  return {
    scope: { deadline, signal: controller.signal },
    cancel() {
      if (controller.signal.aborted) return;
      // grpc-js reports its own deadline expiry as a cancellation: name it for what it is.
      if (deadline !== undefined && Date.now() >= deadline - DEADLINE_RACE_MS) expire();
      else controller.abort(new CancelledError());
    },
    close() {
      clearTimeout(timer);
    },
  };
}
