import { constants, type ServerHttp2Stream } from "node:http2";
import { ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, type StatusObject } from "@grpc/grpc-js";
import { http2StreamOf } from "./http2-stream-of.js";

type Listener = Parameters<ServerInterceptingCallInterface["start"]>[0];

/**
 * Once a call's status is sent, resets (RST_STREAM NO_ERROR, after the
 * status frames) a stream whose request the caller has not finished
 * sending. grpc-js leaves such a stream half-closed: it keeps its place
 * in the connection's SETTINGS_MAX_CONCURRENT_STREAMS and keeps reading
 * whatever the caller sends, for as long as the caller likes. The reset
 * frees both, so the limits that end a call (receive time, in-flight cap,
 * message size) also end its stream. grpc-js answers some calls itself,
 * past every interceptor (a message over the receive limit, the caller's
 * own deadline); it then reports them cancelled, which is watched too.
 */
class CloseUnfinishedRequestCall extends ServerInterceptingCall {
  constructor(
    next: ServerInterceptingCallInterface,
    private readonly stream: ServerHttp2Stream,
  ) {
    super(next);
  }

  override start(listener: Listener): void {
    super.start({
      onReceiveMetadata: (metadata) => listener.onReceiveMetadata(metadata),
      onReceiveMessage: (message) => listener.onReceiveMessage(message),
      onReceiveHalfClose: () => listener.onReceiveHalfClose(),
      onCancel: () => {
        this.#closeIfUnfinished();
        listener.onCancel();
      },
    });
  }

  override sendStatus(status: StatusObject): void {
    super.sendStatus(status);
    this.#closeIfUnfinished();
  }

  #closeIfUnfinished(): void {
    if (!this.stream.readableEnded && !this.stream.closed) this.stream.close(constants.NGHTTP2_NO_ERROR);
  }
}

/** A grpc-js server interceptor, listed first so that it sees every status grpc-js's own call sends. */
export function closeUnfinishedRequests(): ServerInterceptor {
  return (_method, call) => new CloseUnfinishedRequestCall(call, http2StreamOf(call));
}
