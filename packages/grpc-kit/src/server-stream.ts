import { create, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import type { ServerWritableStream } from "@grpc/grpc-js";

/** What a server-streaming handler sends its messages through. */
export interface ServerStream<O extends DescMessage> {
  /**
   * Sends one message. Resolves once the transport has taken it (it fits
   * the caller's HTTP/2 flow-control window): await every send, so a
   * caller that reads slowly slows the handler down instead of making the
   * server buffer for it. Rejects with the call's end (CancelledError,
   * DeadlineExceededError, the server's own shutdown) once it is over;
   * let that propagate.
   */
  send(message: MessageInitShape<O>): Promise<void>;
}

/**
 * Sends not yet taken by the transport that one stream may have: a handler
 * that does not await its sends is stopped here (an error, answered
 * INTERNAL) rather than queueing messages without bound.
 */
export const MAX_UNACCEPTED_SENDS = 16;

/**
 * The kit's ServerStream over a grpc-js writable call. Each message is
 * written with a callback that grpc-js calls once the HTTP/2 stream has
 * accepted its bytes, which nghttp2 does only within the flow-control
 * window: that callback resolves the send.
 */
export class StreamSender<O extends DescMessage> implements ServerStream<O> {
  #sent = 0;
  #unaccepted = 0;
  #closed = false;

  constructor(
    private readonly call: ServerWritableStream<unknown, unknown>,
    private readonly output: O,
    private readonly signal: AbortSignal,
    private readonly onSent: () => void,
  ) {}

  /** Messages the transport has taken so far (for the "rpc" log line). */
  get sent(): number {
    return this.#sent;
  }

  /** No more sends: the call is being answered. */
  close(): void {
    this.#closed = true;
  }

  send(message: MessageInitShape<O>): Promise<void> {
    if (this.signal.aborted) return Promise.reject(this.signal.reason as Error);
    if (this.#closed) return Promise.reject(new Error("send() after the stream's handler returned"));
    if (this.#unaccepted >= MAX_UNACCEPTED_SENDS) {
      return Promise.reject(new Error(`send() with ${MAX_UNACCEPTED_SENDS} sends not yet accepted: await each send`));
    }
    const built = create(this.output, message);
    return new Promise<void>((resolve, reject) => {
      // grpc-js never calls back a write made after the call was cancelled: the abort settles it instead.
      const onAbort = () => reject(this.signal.reason as Error);
      this.signal.addEventListener("abort", onAbort, { once: true });
      this.#unaccepted += 1;
      this.call.write(built, (error: Error | null | undefined) => {
        this.#unaccepted -= 1;
        this.signal.removeEventListener("abort", onAbort);
        if (error) return reject(error);
        this.#sent += 1;
        this.onSent();
        resolve();
      });
    });
  }
}
