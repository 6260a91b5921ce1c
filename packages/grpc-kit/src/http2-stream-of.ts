import type { ServerHttp2Stream } from "node:http2";
import type { ServerInterceptingCallInterface } from "@grpc/grpc-js";

/**
 * The HTTP/2 stream under a grpc-js server call. grpc-js keeps it in a
 * field of its innermost call that it does not export, and offers nothing
 * public to reset a stream or see its bytes; the chain of interceptors is
 * walked down to it (`nextCall`). The shape is checked so that a grpc-js
 * upgrade that moves it fails loudly at the first call.
 */
export function http2StreamOf(call: ServerInterceptingCallInterface): ServerHttp2Stream {
  let current = call as unknown as { stream?: ServerHttp2Stream; nextCall?: unknown };
  while (current.stream === undefined && typeof current.nextCall === "object" && current.nextCall !== null) {
    current = current.nextCall as typeof current;
  }
  const stream = current.stream;
  if (stream === undefined || typeof stream.close !== "function" || typeof stream.on !== "function" || !("readableEnded" in stream)) {
    throw new Error("grpc-js's HTTP/2 stream is not where grpc-kit expects it (check the @grpc/grpc-js version)");
  }
  return stream;
}
