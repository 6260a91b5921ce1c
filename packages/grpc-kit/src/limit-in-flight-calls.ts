import { ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, type StatusObject } from "@grpc/grpc-js";
import { ResourceExhaustedError } from "@faultmaven/errors";
import { http2StreamOf } from "./http2-stream-of.js";
import { toStatus } from "./status-details.js";

type Listener = Parameters<ServerInterceptingCallInterface["start"]>[0];

/** Why a call was shed to make room. */
export type ShedReason = "calls" | "receiving_bytes";

/** A call holding one of the process's slots. */
export interface Slot {
  /** Ends the call, whose request has not arrived whole, to make room. */
  shed(reason: ShedReason): void;
}

/**
 * The calls the process has open, against two caps: `maxCalls` open at
 * once, and `maxReceivingBytes` of request bytes received by calls whose
 * request has not arrived whole (what stalled and trickling uploads pin).
 * Calls still receiving are the ones shed to stay within both: the oldest
 * when a new call needs a slot, the one holding the most bytes when the
 * byte cap is passed. A well-behaved request arrives within milliseconds
 * of its call's start, so the calls shed are the ones stalling; only when
 * every slot holds a call whose request is in (its handler is running) is
 * a new call refused.
 */
export class InFlightCalls {
  readonly #slots = new Set<Slot>();
  /** Calls whose request is still arriving, oldest first, with the bytes each has received. */
  readonly #receiving = new Map<Slot, number>();
  #receivingBytes = 0;

  constructor(
    readonly maxCalls: number,
    readonly maxReceivingBytes: number,
  ) {}

  get open(): number {
    return this.#slots.size;
  }

  /** Request bytes held by calls still receiving. */
  get receivingBytes(): number {
    return this.#receivingBytes;
  }

  /** Takes a slot for `slot`, shedding the oldest call still receiving if need be; false when none can be had. */
  admit(slot: Slot): boolean {
    if (this.#slots.size >= this.maxCalls) {
      const oldest = this.#receiving.keys().next();
      if (oldest.done) return false;
      oldest.value.shed("calls");
      // shed() ends the call, which releases its slot; never admit past the cap if it did not.
      if (this.#slots.size >= this.maxCalls) return false;
    }
    this.#slots.add(slot);
    this.#receiving.set(slot, 0);
    return true;
  }

  /** `slot`'s call received `bytes` more of its request. */
  receivedBytes(slot: Slot, bytes: number): void {
    const held = this.#receiving.get(slot);
    if (held === undefined) return;
    this.#receiving.set(slot, held + bytes);
    this.#receivingBytes += bytes;
    while (this.#receivingBytes > this.maxReceivingBytes) {
      const before = this.#receivingBytes;
      this.#largestReceiving()?.shed("receiving_bytes");
      if (this.#receivingBytes === before) break;
    }
  }

  /** The call's request arrived whole: its bytes are the handler's now, and it is no longer sheddable. */
  received(slot: Slot): void {
    this.#receivingBytes -= this.#receiving.get(slot) ?? 0;
    this.#receiving.delete(slot);
  }

  release(slot: Slot): void {
    this.received(slot);
    this.#slots.delete(slot);
  }

  #largestReceiving(): Slot | undefined {
    let largest: Slot | undefined;
    let most = -1;
    for (const [slot, bytes] of this.#receiving) {
      if (bytes > most) [largest, most] = [slot, bytes];
    }
    return largest;
  }
}

/** Why a call got no slot or lost it: RESOURCE_EXHAUSTED, reason SERVER_BUSY, with RetryInfo. */
function serverBusy(calls: InFlightCalls, shed: ShedReason | undefined): StatusObject {
  const [message, limit] =
    shed === "receiving_bytes"
      ? [
          `the server holds ${calls.maxReceivingBytes} bytes of unfinished requests, its limit, and ended this call, whose unfinished request held the most: retry later`,
          "grpc.max_receiving_bytes",
        ]
      : shed === "calls"
        ? [
            `the server reached its limit of ${calls.maxCalls} open calls and ended this one, whose request had not arrived whole: retry later`,
            "grpc.max_in_flight_calls",
          ]
        : [`the server has ${calls.maxCalls} calls open, its limit: retry later`, "grpc.max_in_flight_calls"];
  return toStatus(new ResourceExhaustedError(message, "SERVER_BUSY", limit)).status;
}

/** The three answers, built once: under attack they are sent thousands of times a second (grpc-js copies the metadata). */
function serverBusyAnswers(calls: InFlightCalls): Record<ShedReason | "refused", StatusObject> {
  return {
    refused: serverBusy(calls, undefined),
    calls: serverBusy(calls, "calls"),
    receiving_bytes: serverBusy(calls, "receiving_bytes"),
  };
}

/**
 * Holds a slot from the call's start until its status is sent or it is
 * cancelled (the stream closed), counting the request bytes it receives
 * until the request is whole (the caller's half-close). A refused call is
 * answered before its request is read, so it costs no request buffer.
 */
class InFlightLimitedCall extends ServerInterceptingCall implements Slot {
  #holdsSlot = false;
  readonly #countBytes = (chunk: Buffer) => this.calls.receivedBytes(this, chunk.length);

  constructor(
    next: ServerInterceptingCallInterface,
    private readonly calls: InFlightCalls,
    private readonly answers: Record<ShedReason | "refused", StatusObject>,
    private readonly onLimit: () => void,
  ) {
    super(next);
  }

  override start(listener: Listener): void {
    this.#holdsSlot = this.calls.admit(this);
    // A listener added to grpc-js's paused stream sees its chunks without changing its flow.
    if (this.#holdsSlot) http2StreamOf(this).on("data", this.#countBytes);
    super.start({
      onReceiveMetadata: (metadata) => listener.onReceiveMetadata(metadata),
      onReceiveMessage: (message) => listener.onReceiveMessage(message),
      onReceiveHalfClose: () => {
        this.#stopCounting();
        this.calls.received(this);
        listener.onReceiveHalfClose();
      },
      onCancel: () => {
        this.#release();
        listener.onCancel();
      },
    });
    if (!this.#holdsSlot) {
      this.onLimit();
      this.sendStatus(this.answers.refused);
    }
  }

  shed(reason: ShedReason): void {
    this.onLimit();
    this.sendStatus(this.answers[reason]);
  }

  override sendStatus(status: StatusObject): void {
    this.#release();
    super.sendStatus(status);
  }

  #stopCounting(): void {
    http2StreamOf(this).off("data", this.#countBytes);
  }

  #release(): void {
    if (!this.#holdsSlot) return;
    this.#holdsSlot = false;
    this.#stopCounting();
    this.calls.release(this);
  }
}

/**
 * A grpc-js server interceptor capping the calls open at once in the
 * process (every method) and the bytes their unfinished requests hold;
 * `onLimit` is told of each call refused or shed.
 */
export function limitInFlightCalls(calls: InFlightCalls, onLimit: () => void = () => {}): ServerInterceptor {
  const answers = serverBusyAnswers(calls);
  return (_method, call) => new InFlightLimitedCall(call, calls, answers, onLimit);
}
