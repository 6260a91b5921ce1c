import { connect, type ClientHttp2Session } from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { ErrorInfoSchema, StatusSchema } from "@faultmaven/contract/rpc";

/** What a raw call was answered: grpc-status and the ErrorInfo reason of its details. */
export interface RawAnswer {
  readonly code: number;
  readonly reason: string | undefined;
}

/** An HTTP/2 connection that sends arbitrary bytes as a gRPC request body. */
export class RawGrpcClient {
  private constructor(private readonly session: ClientHttp2Session) {}

  /** Connects to a plaintext gRPC server at `address` (host:port). */
  static connect(address: string): Promise<RawGrpcClient> {
    return new Promise((resolve, reject) => {
      const session = connect(`http://${address}`);
      session.once("error", reject);
      session.once("connect", () => resolve(new RawGrpcClient(session)));
    });
  }

  /** POSTs `data` to `path` and ends the stream (unless `open`); resolves with the status the server answered. */
  call(path: string, data: Buffer, open = false): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const stream = this.session.request({
        ":method": "POST",
        ":path": path,
        "content-type": "application/grpc",
        te: "trailers",
        "grpc-timeout": "10S",
      });
      let headers: Record<string, unknown> = {};
      stream.on("response", (h) => {
        headers = h;
      });
      stream.on("trailers", (t) => {
        headers = { ...headers, ...t };
      });
      stream.on("data", () => {});
      // The server has answered (maybe trailers-only): a request stream left open is ours to close.
      stream.on("end", () => open && stream.close());
      stream.on("error", reject);
      stream.on("close", () => {
        const code = headers["grpc-status"];
        if (code === undefined) reject(new Error(`${path}: no grpc-status (HTTP/2 close code ${stream.rstCode})`));
        else resolve({ code: Number(code), reason: reasonOf(headers["grpc-status-details-bin"]) });
      });
      if (open) stream.write(data);
      else stream.end(data);
    });
  }

  close(): void {
    this.session.close();
  }
}

function reasonOf(details: unknown): string | undefined {
  if (typeof details !== "string") return undefined;
  const status = fromBinary(StatusSchema, Buffer.from(details, "base64"));
  for (const any of status.details) {
    const info = anyUnpack(any, ErrorInfoSchema);
    if (info) return info.reason;
  }
  return undefined;
}
