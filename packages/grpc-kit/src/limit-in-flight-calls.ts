import { ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, type StatusObject } from "@grpc/grpc-js";
import { ResourceExhaustedError } from "@faultmaven/errors";
import { toStatus } from "./status-details.js";

type Listener = Parameters<ServerInterceptingCallInterface["start"]>[0];

/** How many calls the process has open, against its cap. */
export class InFlightCalls {
  #open = 0;

  constructor(readonly max: number) {}

  get open(): number {
    return this.#open;
  }

  /** Takes a slot; false when all `max` are taken. */
  tryAcquire(): boolean {
    if (this.#open >= this.max) return false;
    this.#open += 1;
    return true;
  }

  release(): void {
    this.#open -= 1;
  }
}

/**
 * Counts a call from its start until its status is sent or it is cancelled
 * (the stream closed). Beyond the cap it is answered RESOURCE_EXHAUSTED
 * (reason SERVER_BUSY, with RetryInfo) before its request is read, so a
 * refused call costs no request buffer.
 */
class InFlightLimitedCall extends ServerInterceptingCall {
  #holdsSlot = false;

  constructor(
    next: ServerInterceptingCallInterface,
    private readonly calls: InFlightCalls,
    private readonly onRefused: () => void,
  ) {
    super(next);
  }

  override start(listener: Listener): void {
    this.#holdsSlot = this.calls.tryAcquire();
    super.start({
      onReceiveMetadata: (metadata) => listener.onReceiveMetadata(metadata),
      onReceiveMessage: (message) => listener.onReceiveMessage(message),
      onReceiveHalfClose: () => listener.onReceiveHalfClose(),
      onCancel: () => {
        this.#release();
        listener.onCancel();
      },
    });
    if (!this.#holdsSlot) {
      this.onRefused();
      const refusal = new ResourceExhaustedError(
        `the server has ${this.calls.max} calls open, its limit: retry later`,
        "SERVER_BUSY",
        "grpc.max_in_flight_calls",
      );
      this.sendStatus(toStatus(refusal).status);
    }
  }

  override sendStatus(status: StatusObject): void {
    this.#release();
    super.sendStatus(status);
  }

  #release(): void {
    if (!this.#holdsSlot) return;
    this.#holdsSlot = false;
    this.calls.release();
  }
}

/** A grpc-js server interceptor capping the calls open at once in the process (every method). */
export function limitInFlightCalls(calls: InFlightCalls, onRefused: () => void = () => {}): ServerInterceptor {
  return (_method, call) => new InFlightLimitedCall(call, calls, onRefused);
}
