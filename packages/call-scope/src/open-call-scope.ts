import { CancelledError, DeadlineExceededError } from "@faultmaven/errors";
import { CallEnd } from "./call-end.js";
import type { Caller, CallScope, IdempotencyKey } from "./call-scope.js";

/**
 * A cancellation this close to the deadline is the caller's own deadline
 * timer (its RST_STREAM races the server's timer, which started later by the
 * network latency), and is named DeadlineExceeded.
 */
const DEADLINE_RACE_MS = 100;

/** A scope being served: cancel it when the caller goes away, close it when the call is answered. */
export interface OpenCallScope {
  readonly scope: CallScope;
  /** The call's end, also `scope.end`. */
  readonly end: CallEnd;
  /** The caller cancelled: ends the call with a CancelledError (a DeadlineExceededError once the deadline has passed, or all but). */
  cancel(): void;
  /** The call is answered: stops the deadline timer. */
  close(): void;
}

/**
 * Opens the scope of a call (from `caller`) with an optional deadline (Unix ms). The call
 * ends at the deadline (a timer, so that work waiting on a store is
 * interrupted), or at once when the deadline has already passed.
 */
export function openCallScope(deadline: number | undefined, caller?: Caller): OpenCallScope {
  const end = new CallEnd();
  const expire = () => end.end(new DeadlineExceededError());
  let timer: NodeJS.Timeout | undefined;
  if (deadline !== undefined) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) expire();
    else timer = setTimeout(expire, remaining);
  }
  return {
    scope: scopeOf(deadline, end, caller),
    end,
    cancel() {
      if (end.ended) return;
      // grpc-js reports its own deadline expiry as a cancellation: name it for what it is.
      if (deadline !== undefined && Date.now() >= deadline - DEADLINE_RACE_MS) expire();
      else end.end(new CancelledError());
    },
    close() {
      clearTimeout(timer);
    },
  };
}

/** A scope whose signal is made only when asked for (see CallEnd). */
export function scopeOf(deadline: number | undefined, end: CallEnd, caller?: Caller, idempotency?: IdempotencyKey): CallScope {
  return new EndingScope(deadline, end, caller, idempotency);
}

/** A class, not an object literal with a getter: V8 makes such literals slowly, and there is one per call. */
class EndingScope implements CallScope {
  constructor(
    readonly deadline: number | undefined,
    readonly end: CallEnd,
    readonly caller: Caller | undefined,
    readonly idempotency: IdempotencyKey | undefined,
  ) {}

  get signal(): AbortSignal {
    return this.end.signal;
  }
}
