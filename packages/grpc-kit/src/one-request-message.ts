import type { DescMessage } from "@bufbuild/protobuf";
import { undecodableRequest } from "./undecodable-request.js";

/**
 * Holds a unary request back until the caller half-closes, then hands the
 * handler exactly one message: the one received, or a stand-in when none
 * arrived or a second one did (answered at once, without reading on).
 * Without it grpc-js answers a call that ends with no complete message (or
 * brings two) UNIMPLEMENTED before any handler runs; with it the pipeline
 * answers INVALID_ARGUMENT, and logs and counts it. One per call.
 */
export class OneRequestMessage {
  #message: unknown;
  #received = 0;
  #delivered = false;

  constructor(private readonly input: DescMessage) {}

  /**
   * A message arrived. "hold": kept, read on to see the half-close (the
   * handler asks for the next message only after it gets one); "deliver":
   * a second message, so deliver `take()` now, as grpc-js did, rather than
   * buffer a stream the caller never ends; "drop": the call has its message.
   */
  received(message: unknown): "hold" | "deliver" | "drop" {
    if (this.#delivered) return "drop";
    this.#received += 1;
    if (this.#received === 1) {
      this.#message = message;
      return "hold";
    }
    this.#message = undecodableRequest(this.input, "extra");
    return "deliver";
  }

  /** The caller half-closed: true when `take()` is still to be delivered. */
  halfClosed(): boolean {
    if (this.#delivered) return false;
    if (this.#received === 0) this.#message = undecodableRequest(this.input, "missing");
    return true;
  }

  /** The one message for the handler; nothing is delivered after it. */
  take(): unknown {
    this.#delivered = true;
    const message = this.#message;
    this.#message = undefined;
    return message;
  }
}
