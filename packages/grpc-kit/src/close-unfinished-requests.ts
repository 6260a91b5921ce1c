import { constants, type ServerHttp2Stream } from "node:http2";
import { ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, type StatusObject } from "@grpc/grpc-js";

/**
 * grpc-js's own call, innermost in the chain, keeps its HTTP/2 stream in a
 * field it does not export; nothing public ends a stream the caller has not
 * finished. The shape is checked so that a grpc-js upgrade that moves it
 * fails loudly at the first call instead of leaving streams open.
 */
function streamOf(call: ServerInterceptingCallInterface): ServerHttp2Stream {
  const stream = (call as unknown as { stream?: ServerHttp2Stream }).stream;
  if (stream === undefined || typeof stream.close !== "function" || !("readableEnded" in stream)) {
    throw new Error("closeUnfinishedRequests must be the first server interceptor (it needs grpc-js's HTTP/2 stream)");
  }
  return stream;
}

/**
 * Once a call's status is sent, resets (RST_STREAM NO_ERROR, after the
 * status frames) a stream whose request the caller has not finished
 * sending. grpc-js leaves such a stream half-closed: it keeps its place
 * in the connection's SETTINGS_MAX_CONCURRENT_STREAMS and keeps reading
 * whatever the caller sends, for as long as the caller likes. The reset
 * frees both, so the limits that end a call (receive time, in-flight cap,
 * message size) also end its stream.
 */
class CloseUnfinishedRequestCall extends ServerInterceptingCall {
  constructor(
    next: ServerInterceptingCallInterface,
    private readonly stream: ServerHttp2Stream,
  ) {
    super(next);
  }

  override sendStatus(status: StatusObject): void {
    super.sendStatus(status);
    if (!this.stream.readableEnded && !this.stream.closed) this.stream.close(constants.NGHTTP2_NO_ERROR);
  }
}

/** A grpc-js server interceptor, to be listed first (next to grpc-js's own call). */
export function closeUnfinishedRequests(): ServerInterceptor {
  return (_method, call) => new CloseUnfinishedRequestCall(call, streamOf(call));
}
