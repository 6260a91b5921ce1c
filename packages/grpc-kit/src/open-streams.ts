import { ResourceExhaustedError, type ServiceError } from "@faultmaven/errors";
import { ServerShuttingDownError } from "./server-shutting-down-error.js";

/** A server-streaming call the process has open, as the registry sees it. */
export interface OpenStream {
  /** Ends the stream now with `error` (sent to the caller) and aborts its handler's signal. */
  end(error: ServiceError): void;
}

/** Told of streams opened, refused at the cap, and of every message sent (metrics hang here). */
export interface StreamObserver {
  started(service: string, method: string): void;
  sent(service: string, method: string): void;
  refused(): void;
}

const UNOBSERVED: StreamObserver = { started: () => {}, sent: () => {}, refused: () => {} };

/**
 * The server-streaming calls open in the process, at most `max`
 * (GRPC_MAX_SERVER_STREAMS), counted apart from the unary in-flight cap so
 * that long-lived streams cannot starve unary calls. A stream beyond the
 * cap is refused RESOURCE_EXHAUSTED; at shutdown every open stream is ended
 * UNAVAILABLE (SERVER_SHUTTING_DOWN) and new ones are refused the same way.
 */
export class OpenStreams {
  readonly #open = new Set<OpenStream>();
  #closing = false;

  constructor(
    readonly max: number,
    readonly observer: StreamObserver = UNOBSERVED,
  ) {}

  get size(): number {
    return this.#open.size;
  }

  /** Takes a place for `stream`, or throws why it gets none; the returned function gives the place back. */
  admit(stream: OpenStream): () => void {
    if (this.#closing) throw new ServerShuttingDownError();
    if (this.#open.size >= this.max) {
      this.observer.refused();
      throw new ResourceExhaustedError(
        `the server has ${this.max} streams open, its limit (GRPC_MAX_SERVER_STREAMS): retry later or on another replica`,
        "SERVER_BUSY",
        "grpc.max_server_streams",
      );
    }
    this.#open.add(stream);
    return () => this.#open.delete(stream);
  }

  /** Ends every open stream UNAVAILABLE and refuses new ones (graceful shutdown); returns how many were ended. */
  endAll(): number {
    this.#closing = true;
    const ending = [...this.#open];
    for (const stream of ending) stream.end(new ServerShuttingDownError());
    return ending.length;
  }
}
