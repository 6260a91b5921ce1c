import type { DescMessage } from "@bufbuild/protobuf";
import { ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor } from "@grpc/grpc-js";
import { undecodableRequest } from "./undecodable-request.js";

type Listener = Parameters<ServerInterceptingCallInterface["start"]>[0];

/**
 * Holds a unary request back until the caller half-closes, then hands the
 * handler exactly one message: the one received, or a stand-in when none
 * arrived or a second one did (answered at once, without reading on).
 * Without it grpc-js answers a call that ends with no complete message (or
 * brings two) UNIMPLEMENTED before any handler runs; with it the pipeline
 * answers INVALID_ARGUMENT, and logs and counts it.
 */
class OneRequestMessageCall extends ServerInterceptingCall {
  constructor(
    next: ServerInterceptingCallInterface,
    private readonly input: DescMessage,
  ) {
    super(next);
  }

  override start(listener: Listener): void {
    let first: unknown;
    let received = 0;
    let delivered = false;
    const deliver = (message: unknown) => {
      delivered = true;
      listener.onReceiveMessage(message);
      listener.onReceiveHalfClose();
    };
    super.start({
      onReceiveMetadata: (metadata) => listener.onReceiveMetadata(metadata),
      onReceiveMessage: (message) => {
        if (delivered) return;
        received += 1;
        if (received === 1) {
          first = message;
          // The handler asks for the next message only after it gets one; read on to see the half-close.
          this.startRead();
        } else {
          // A second message: answer now (as grpc-js did) rather than buffer a stream the caller never ends.
          deliver(undecodableRequest(this.input, "extra"));
        }
      },
      onReceiveHalfClose: () => {
        if (!delivered) deliver(received === 0 ? undecodableRequest(this.input, "missing") : first);
      },
      onCancel: () => listener.onCancel(),
    });
  }
}

/**
 * A grpc-js server interceptor for the unary methods in `inputs` (method
 * path -> request schema); every other method (health, reflection) passes
 * through untouched.
 */
export function oneRequestMessage(inputs: ReadonlyMap<string, DescMessage>): ServerInterceptor {
  return (method, call) => {
    const input = method.requestStream ? undefined : inputs.get(method.path);
    return input === undefined ? new ServerInterceptingCall(call) : new OneRequestMessageCall(call, input);
  };
}
