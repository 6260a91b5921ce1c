import { constants, type ServerHttp2Stream } from "node:http2";

/**
 * Once a call's status is sent (or grpc-js reports it cancelled), resets
 * (RST_STREAM NO_ERROR, after the status frames) a stream whose request
 * the caller has not finished sending. grpc-js leaves such a stream
 * half-closed: it keeps its place in the connection's
 * SETTINGS_MAX_CONCURRENT_STREAMS and keeps reading whatever the caller
 * sends, for as long as the caller likes. The reset frees both, so the
 * limits that end a call (receive time, in-flight cap, message size) also
 * end its stream. grpc-js answers some calls itself, past every
 * interceptor (a message over the receive limit, the caller's own
 * deadline); it then reports them cancelled, which is why cancellation
 * runs this too.
 */
export function closeIfUnfinished(stream: ServerHttp2Stream): void {
  if (!stream.readableEnded && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
}
