import { connect, type ClientHttp2Session } from "node:http2";

/** What one stalled stream sends: HEADERS, then part of one gRPC message, and never the end of its request. */
export interface StalledRequest {
  /** gRPC method path, e.g. "/faultmaven.session.v1.SessionService/GetSession". */
  readonly path: string;
  /** The message length announced in the 5-byte gRPC prefix. */
  readonly declaredBytes: number;
  /** How much of the message is then sent (less than declaredBytes). */
  readonly sentBytes: number;
}

/** How one stalled stream ended, as its client saw it. */
export interface StalledOutcome {
  /** grpc-status from the server's trailers (or trailers-only headers); undefined when none came. */
  readonly grpcStatus: number | undefined;
  /** The RST_STREAM code the stream closed with (0 = NO_ERROR). */
  readonly rstCode: number | undefined;
}

/**
 * An abusive caller: raw HTTP/2 streams (Node's http2 client, no gRPC
 * library) that start a call, send part of its request and stall, never
 * half-closing. Each stream's outcome is recorded when it closes.
 */
export class StalledStreams {
  readonly outcomes: StalledOutcome[] = [];
  #open = 0;

  private constructor(private readonly sessions: readonly ClientHttp2Session[]) {}

  /** Opens `streams` stalled streams spread evenly over `connections` connections to `address` (host:port). */
  static async open(address: string, request: StalledRequest, streams: number, connections: number): Promise<StalledStreams> {
    const sessions = await Promise.all(Array.from({ length: connections }, () => connectTo(address)));
    const stalled = new StalledStreams(sessions);
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(request.declaredBytes, 1);
    const body = Buffer.concat([prefix, Buffer.alloc(request.sentBytes, 0x61)]);
    for (let i = 0; i < streams; i++) stalled.#start(sessions[i % connections]!, request.path, body);
    return stalled;
  }

  /** Streams not closed yet (including those the client still queues behind the server's stream limit). */
  get open(): number {
    return this.#open;
  }

  /** How many closed streams got each grpc-status ("none" when no status came). */
  statusCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { grpcStatus } of this.outcomes) {
      const key = grpcStatus === undefined ? "none" : String(grpcStatus);
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  /** Closes whatever is left of the connections. */
  destroy(): void {
    for (const session of this.sessions) session.destroy();
  }

  #start(session: ClientHttp2Session, path: string, body: Buffer): void {
    const stream = session.request(
      { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers" },
      { endStream: false },
    );
    this.#open += 1;
    let grpcStatus: number | undefined;
    const note = (headers: Record<string, unknown>) => {
      if (headers["grpc-status"] !== undefined) grpcStatus = Number(headers["grpc-status"]);
    };
    stream.on("response", note);
    stream.on("trailers", note);
    stream.on("error", () => {});
    stream.on("close", () => {
      this.#open -= 1;
      this.outcomes.push({ grpcStatus, rstCode: stream.rstCode });
    });
    stream.resume();
    stream.write(body);
  }
}

function connectTo(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    // Node's default 10 MB per session would make the client itself reset streams whose bodies it still buffers.
    const session = connect(`http://${address}`, { maxSessionMemory: 1024 });
    session.once("connect", () => {
      session.off("error", reject);
      session.on("error", () => {});
      resolve(session);
    });
    session.once("error", reject);
  });
}
