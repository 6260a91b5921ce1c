import { ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, type StatusObject } from "@grpc/grpc-js";
import { ResourceExhaustedError } from "@faultmaven/errors";
import { http2StreamOf } from "./http2-stream-of.js";
import type { InFlightCalls, ShedReason, Slot } from "./in-flight-calls.js";
import { toStatus } from "./status-details.js";

type Listener = Parameters<ServerInterceptingCallInterface["start"]>[0];

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
 * answered before its request is read, so it costs no request buffer. A
 * server-streaming call gives its slot back once its request is whole: its
 * long sending life counts against GRPC_MAX_SERVER_STREAMS instead (see
 * OpenStreams), so open streams cannot starve unary calls.
 */
class InFlightLimitedCall extends ServerInterceptingCall implements Slot {
  #holdsSlot = false;
  readonly #countBytes = (chunk: Buffer) => this.calls.receivedBytes(this, chunk.length);

  constructor(
    next: ServerInterceptingCallInterface,
    private readonly calls: InFlightCalls,
    private readonly answers: Record<ShedReason | "refused", StatusObject>,
    private readonly onLimit: () => void,
    private readonly releaseOnceReceived: boolean,
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
        if (this.releaseOnceReceived) this.#release();
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
 * process (every method, but the kit's server streams, paths in
 * `serverStreams`, only until their request is whole: OpenStreams caps
 * them after that; health Watch keeps its slot) and the bytes their
 * unfinished requests hold;
 * `onLimit` is told of each call refused or shed.
 */
export function limitInFlightCalls(
  calls: InFlightCalls,
  onLimit: () => void = () => {},
  serverStreams: ReadonlySet<string> = new Set(),
): ServerInterceptor {
  const answers = serverBusyAnswers(calls);
  return (method, call) => new InFlightLimitedCall(call, calls, answers, onLimit, serverStreams.has(method.path));
}
