import { decodeStatusDetails } from "@faultmaven/grpc-kit";

/** gRPC status code names by number. */
const CODE_NAMES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

/** One call made by the load: when it started and ended (ms since epoch), and how it failed if it did. */
export interface CallRecord {
  readonly kind: string;
  readonly startedAt: number;
  readonly endedAt: number;
  /** Undefined for a success. */
  readonly error?: { readonly code: string; readonly reason: string | undefined };
}

/** A kind of call the load makes; `run` rejects with the gRPC error when the call fails. */
export interface LoadCall {
  readonly kind: string;
  run(): Promise<void>;
}

/**
 * Fires calls at a steady rate (one every `intervalMs`, round-robin over
 * `calls`) without waiting for earlier ones, as independent callers would,
 * and records every outcome.
 */
export class SteadyLoad {
  readonly records: CallRecord[] = [];
  #timer: NodeJS.Timeout | undefined;
  #pending = new Set<Promise<void>>();
  #next = 0;

  constructor(
    private readonly calls: readonly LoadCall[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.#timer = setInterval(() => this.#fire(), this.intervalMs);
  }

  /** Stops firing and waits for the calls in flight. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await Promise.all(this.#pending);
  }

  #fire(): void {
    const call = this.calls[this.#next++ % this.calls.length]!;
    const startedAt = Date.now();
    const done = call.run().then(
      () => void this.records.push({ kind: call.kind, startedAt, endedAt: Date.now() }),
      (error: unknown) => void this.records.push({ kind: call.kind, startedAt, endedAt: Date.now(), error: describe(error) }),
    );
    this.#pending.add(done);
    void done.finally(() => this.#pending.delete(done));
  }
}

function describe(error: unknown): { code: string; reason: string | undefined } {
  const grpcError = error as { code?: unknown; metadata?: Parameters<typeof decodeStatusDetails>[0] };
  if (typeof grpcError.code !== "number") return { code: `not a gRPC error: ${String(error)}`, reason: undefined };
  return { code: CODE_NAMES[grpcError.code] ?? String(grpcError.code), reason: decodeStatusDetails(grpcError.metadata).reason };
}
