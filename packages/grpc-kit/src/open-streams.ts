import { ResourceExhaustedError, type ServiceError } from "@faultmaven/errors";
import { ConnectionClosingError } from "./connection-closing-error.js";
import { ServerShuttingDownError } from "./server-shutting-down-error.js";

/** A server-streaming call the process has open, as the registry sees it. */
export interface OpenStream {
  /** True once the server is closing the stream's connection (GOAWAY sent: max connection age). */
  readonly connectionClosing: boolean;
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
 * A stream whose connection the server is closing (max connection age) is
 * ended UNAVAILABLE (CONNECTION_CLOSING) within `sweepMs`, long before the
 * age grace period cuts the connection, so its caller re-opens it at once.
 */
export class OpenStreams {
  readonly #open = new Set<OpenStream>();
  #closing = false;
  #sweep: NodeJS.Timeout | undefined;

  constructor(
    readonly max: number,
    readonly observer: StreamObserver = UNOBSERVED,
    private readonly sweepMs = 1000,
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
    this.#sweep ??= setInterval(() => this.#endClosingConnections(), this.sweepMs).unref();
    return () => {
      this.#open.delete(stream);
      if (this.#open.size === 0) this.#stopSweep();
    };
  }

  /** Ends every open stream UNAVAILABLE and refuses new ones (graceful shutdown); returns how many were ended. */
  endAll(): number {
    this.#closing = true;
    const ending = [...this.#open];
    for (const stream of ending) stream.end(new ServerShuttingDownError());
    return ending.length;
  }

  #endClosingConnections(): void {
    for (const stream of this.#open) if (stream.connectionClosing) stream.end(new ConnectionClosingError());
  }

  #stopSweep(): void {
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}
