import { CancelledError, DeadlineExceededError, type ServiceError } from "@faultmaven/errors";
import { currentCallScope, type CallScope } from "./call-scope.js";

/**
 * The error to raise when `scope`'s call is over (cancelled, or its
 * deadline passed even if the timer has not fired yet), with `cause` saying
 * which store step it stopped; undefined while the call is live or outside
 * any call. A fresh error each time, so causes never get shared.
 */
export function callOverError(scope: CallScope | undefined = currentCallScope(), cause?: unknown): ServiceError | undefined {
  if (scope === undefined) return undefined;
  const options = cause === undefined ? {} : { cause };
  if (hasEnded(scope)) {
    return callEndReason(scope) instanceof CancelledError ? new CancelledError(options) : new DeadlineExceededError(options);
  }
  if (scope.deadline !== undefined && Date.now() >= scope.deadline) return new DeadlineExceededError(options);
  return undefined;
}

/** True when `scope`'s call is over (cancelled, or its deadline passed even if the timer has not fired yet): cheaper than callOverError when it is not. */
export function isCallOver(scope: CallScope): boolean {
  return hasEnded(scope) || (scope.deadline !== undefined && Date.now() >= scope.deadline);
}

/** True once `scope`'s call has ended (cancelled, its deadline timer fired, or the server ended it). */
export function hasEnded(scope: CallScope): boolean {
  return scope.end ? scope.end.ended : scope.signal.aborted;
}

/** Why `scope`'s call ended; undefined while it has not. */
export function callEndReason(scope: CallScope): unknown {
  return scope.end ? scope.end.reason : scope.signal.reason;
}

/**
 * Calls `listener` once when `scope`'s call ends (never when it already
 * has: check isCallOver first); returns a function that stops listening.
 * Without making the scope's AbortSignal when the scope has a CallEnd.
 */
export function onCallEnd(scope: CallScope, listener: () => void): () => void {
  if (scope.end) return scope.end.onEnd(listener);
  const signal = scope.signal;
  signal.addEventListener("abort", listener, { once: true });
  return () => signal.removeEventListener("abort", listener);
}

/**
 * A signal for one store request: aborts after the store's fixed
 * `timeoutMs`, or earlier when the current call is cancelled or reaches its
 * deadline. Outside a call it is the fixed timeout alone.
 */
export function scopedSignal(timeoutMs: number, scope: CallScope | undefined = currentCallScope()): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return scope ? AbortSignal.any([scope.signal, timeout]) : timeout;
}
