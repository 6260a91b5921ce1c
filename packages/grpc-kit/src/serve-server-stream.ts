import { constants } from "node:http2";
import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { ServiceError } from "@faultmaven/errors";
import type { ServerInterceptingCallInterface, ServerWritableStream } from "@grpc/grpc-js";
import type { Logger } from "pino";
import { createCallContext, type CallContext } from "./call-context.js";
import { http2StreamOf } from "./http2-stream-of.js";
import type { Middleware, UnaryCall, UnaryMethod } from "./middleware.js";
import type { OpenStreams } from "./open-streams.js";
import { StreamSender, type ServerStream } from "./server-stream.js";
import { toStatus } from "./status-details.js";

/**
 * How long a stream the server ended may take to deliver its status: a
 * caller that is not reading never gets the status queued behind the
 * messages it has not read, so its stream is then reset REFUSED_STREAM,
 * which gRPC clients report UNAVAILABLE (the call committed with its first
 * message, so none retries it transparently), and the connection can close.
 */
export const STALLED_END_RESET_MS = 1000;

/** A server-streaming handler as `implement` holds it, untyped. */
export type StreamHandler = (request: Message, context: CallContext, stream: ServerStream<DescMethod["output"]>) => Promise<void>;

/**
 * The grpc-js handler of one server-streaming method. The call runs through
 * the same pipeline as a unary one (metrics, the "rpc" log line with the
 * messages sent, the call scope, validation, the caller's middleware); the
 * handler gets a place among the process's open streams once its request
 * passed all that, and gives it back when it settles. The call ends OK when
 * the handler resolves, or with the status `toStatus` maps what it threw to
 * (before or after its first message). When the server ends the stream
 * (shutdown, its connection closing), the caller is answered at once and
 * the handler's signal aborts, so its sends and store calls stop.
 */
export function serveServerStream(
  serviceName: string,
  method: DescMethod,
  handler: StreamHandler,
  middleware: Middleware,
  logger: Logger,
  streams: OpenStreams,
  trustsClientAddressFrom: (identity: string | undefined) => boolean,
) {
  const info: UnaryMethod = { service: serviceName, name: method.name, input: method.input, output: method.output };
  const fullName = `${serviceName}/${method.name}`;
  return (call: ServerWritableStream<Message, unknown>) => {
    streams.observer.started(serviceName, method.name);
    const serverEnd = new AbortController();
    const { context, close } = createCallContext(
      call as ServerWritableStream<unknown, unknown>,
      fullName,
      logger,
      trustsClientAddressFrom,
      serverEnd.signal,
    );
    const sender = new StreamSender(call as ServerWritableStream<unknown, unknown>, method.output, context.signal, () =>
      streams.observer.sent(serviceName, method.name),
    );
    let answered = false;
    const answer = (error?: unknown) => {
      if (answered) return;
      answered = true;
      sender.close();
      // grpc-js's writable call sends the status it is given through "error" once the messages before it are out.
      if (error === undefined) call.end();
      else call.emit("error", toStatus(error).status);
    };
    const transport = http2StreamOf((call as unknown as { call: ServerInterceptingCallInterface }).call);
    const stream = {
      get connectionClosing() {
        // Node marks the session closed once grpc-js sends GOAWAY and close()s it (max connection age).
        return transport.session?.closed ?? true;
      },
      end(error: ServiceError) {
        if (serverEnd.signal.aborted) return;
        serverEnd.abort(error);
        answer(error);
        setTimeout(() => {
          if (!transport.closed) transport.close(constants.NGHTTP2_REFUSED_STREAM);
        }, STALLED_END_RESET_MS).unref();
      },
    };
    const last = async (passed: UnaryCall) => {
      const release = streams.admit(stream);
      try {
        await handler(passed.request, passed.context, sender);
      } finally {
        release();
      }
      return {};
    };
    // Promise.resolve().then: a middleware that throws synchronously still ends in the error path.
    Promise.resolve()
      .then(() => middleware({ method: info, request: call.request, context, stream: sender }, last))
      .then(
        () => {
          close();
          answer();
        },
        (error: unknown) => {
          close();
          answer(error);
        },
      );
  };
}
