import { callEndReason, callOverError, hasEnded, isCallOver, runInCallScope, type CallScope } from "@faultmaven/call-scope";
import { CancelledError, DeadlineExceededError, ServiceError } from "@faultmaven/errors";
import type { Middleware } from "./middleware.js";

/**
 * Runs the rest of the pipeline inside the call's scope (deadline and
 * cancellation), so every Redis and Chroma call made for it is bounded by
 * the deadline and aborted on cancellation. A call that arrives past its
 * deadline is answered DEADLINE_EXCEEDED before anything runs; a call that
 * ends after its deadline or cancellation is reported as such, whatever the
 * handler made of it (the caller has already been told); so is a stream
 * the server ended itself (shutdown), with the error it was ended with.
 */
export const enterCallScope: Middleware = (call, next) => {
  const scope: CallScope = call.context.scope ?? {
    deadline: call.context.deadline?.getTime(),
    signal: call.context.signal,
    caller: call.context.caller,
  };
  // Errors (and their stacks) only when the call is over: this runs for every call.
  if (isCallOver(scope)) return Promise.reject(callOverError(scope, new Error("the call was over when it arrived")));
  // A promise step, not an async function: one promise less per call.
  return runInCallScope(scope, () => next(call)).then(
    (response) => {
      if (!hasEnded(scope)) return response;
      const late = lateError(scope, new Error("the handler finished after the call was over"));
      if (late) throw late;
      return response;
    },
    (error: unknown) => {
      throw lateError(scope, error) ?? error;
    },
  );
};

/** The call's own end (deadline, cancellation, the server ending a stream) wins over what a handler threw after it. */
function lateError(scope: CallScope, cause: unknown) {
  if (!hasEnded(scope)) return undefined;
  const reason = callEndReason(scope);
  if (reason instanceof ServiceError && !(reason instanceof CancelledError || reason instanceof DeadlineExceededError)) return reason;
  if (cause instanceof Error && reason instanceof Error && cause.constructor === reason.constructor) return undefined;
  return callOverError(scope, cause);
}
