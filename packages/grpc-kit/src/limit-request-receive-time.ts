import { ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, type StatusObject } from "@grpc/grpc-js";
import { ServiceError } from "@faultmaven/errors";
import { toStatus } from "./status-details.js";

type Listener = Parameters<ServerInterceptingCallInterface["start"]>[0];

/** The caller did not finish sending its request in time; the call was ended unread. */
export class RequestReceiveTimeoutError extends ServiceError {
  readonly code = "DEADLINE_EXCEEDED";

  constructor(readonly timeoutMs: number) {
    super(`the request did not arrive whole within ${timeoutMs} ms`, "REQUEST_RECEIVE_TIMEOUT", { timeout_ms: String(timeoutMs) });
  }
}

/**
 * Ends a call whose request has not arrived whole (the caller's half-close)
 * within `timeoutMs` of its start, so a stalled or trickling upload cannot
 * hold a stream, a call slot and its buffered bytes for longer.
 */
class ReceiveTimeLimitedCall extends ServerInterceptingCall {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    next: ServerInterceptingCallInterface,
    private readonly timeoutMs: number,
    private readonly onTimeout: () => void,
  ) {
    super(next);
  }

  override start(listener: Listener): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.onTimeout();
      super.sendStatus(toStatus(new RequestReceiveTimeoutError(this.timeoutMs)).status);
    }, this.timeoutMs);
    super.start({
      onReceiveMetadata: (metadata) => listener.onReceiveMetadata(metadata),
      onReceiveMessage: (message) => listener.onReceiveMessage(message),
      onReceiveHalfClose: () => {
        this.#stopTimer();
        listener.onReceiveHalfClose();
      },
      onCancel: () => {
        this.#stopTimer();
        listener.onCancel();
      },
    });
  }

  override sendStatus(status: StatusObject): void {
    this.#stopTimer();
    super.sendStatus(status);
  }

  #stopTimer(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * A grpc-js server interceptor for methods whose request is one message
 * (unary and server-streaming, such as health Watch); client- and
 * bidi-streaming methods (reflection) pass through untouched.
 */
export function limitRequestReceiveTime(timeoutMs: number, onTimeout: () => void = () => {}): ServerInterceptor {
  return (method, call) =>
    method.requestStream ? new ServerInterceptingCall(call) : new ReceiveTimeLimitedCall(call, timeoutMs, onTimeout);
}
