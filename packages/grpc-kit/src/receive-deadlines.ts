import type { StatusObject } from "@grpc/grpc-js";
import { ServiceError } from "@faultmaven/errors";
import { toStatus } from "./status-details.js";

/** The caller did not finish sending its request in time; the call was ended unread. */
export class RequestReceiveTimeoutError extends ServiceError {
  readonly code = "DEADLINE_EXCEEDED";

  constructor(readonly timeoutMs: number) {
    super(`the request did not arrive whole within ${timeoutMs} ms`, "REQUEST_RECEIVE_TIMEOUT", { timeout_ms: String(timeoutMs) });
  }
}

/** A call whose request is still arriving, as the deadlines see it. */
export interface Receiving {
  /** Ends the call with `status` (DEADLINE_EXCEEDED, REQUEST_RECEIVE_TIMEOUT). */
  receiveTimedOut(status: StatusObject): void;
}

/**
 * Ends a call whose request has not arrived whole (the caller's half-close)
 * within `timeoutMs` of its start, so a stalled or trickling upload cannot
 * hold a stream, a call slot and its buffered bytes for longer. One shared
 * sweep, every tenth of the timeout (10 ms to 1 s), ends the calls past
 * their deadline, so a call costs two map operations instead of a timer of
 * its own; a call is ended at most that sweep late. Every call gets the
 * same timeout, so insertion order is deadline order and a sweep stops at
 * the first call still in time. The sweep runs only while calls are
 * receiving.
 */
export class ReceiveDeadlines {
  readonly #due = new Map<Receiving, number>();
  readonly #status: StatusObject;
  readonly #sweepMs: number;
  #sweep: NodeJS.Timeout | undefined;

  constructor(
    readonly timeoutMs: number,
    private readonly onTimeout: () => void = () => {},
  ) {
    // Built once: grpc-js copies the metadata of each status it sends.
    this.#status = toStatus(new RequestReceiveTimeoutError(timeoutMs)).status;
    this.#sweepMs = Math.min(1000, Math.max(10, Math.ceil(timeoutMs / 10)));
  }

  /** Calls whose request is still arriving. */
  get size(): number {
    return this.#due.size;
  }

  /** `call` started receiving its request now. */
  watch(call: Receiving): void {
    this.#due.set(call, performance.now() + this.timeoutMs);
    this.#sweep ??= setInterval(() => this.#endLate(), this.#sweepMs).unref();
  }

  /** `call`'s request arrived whole, or the call ended: it has no receive deadline any more. */
  received(call: Receiving): void {
    this.#due.delete(call);
  }

  #endLate(): void {
    const now = performance.now();
    for (const [call, due] of this.#due) {
      if (due > now) break;
      this.#due.delete(call);
      this.onTimeout();
      call.receiveTimedOut(this.#status);
    }
    if (this.#due.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }
}
