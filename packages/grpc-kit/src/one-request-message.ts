import type { DescMessage } from "@bufbuild/protobuf";
import { ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor } from "@grpc/grpc-js";
import { undecodableRequest } from "./undecodable-request.js";

/**
 * Holds a unary request back until the caller half-closes, then hands the
 * handler exactly one message: the one received, or a stand-in when none or
 * several arrived. Without it grpc-js answers a call that ends with no
 * complete message (or with two) UNIMPLEMENTED before any handler runs;
 * with it the pipeline answers INVALID_ARGUMENT, and logs and counts it.
 */
type Listener = Parameters<ServerInterceptingCallInterface["start"]>[0];

class OneRequestMessageCall extends ServerInterceptingCall {
  constructor(
    next: ServerInterceptingCallInterface,
    private readonly input: DescMessage,
  ) {
    super(next);
  }

  override start(listener: Listener): void {
    const received: unknown[] = [];
    super.start({
      onReceiveMetadata: (metadata) => listener.onReceiveMetadata(metadata),
      onReceiveMessage: (message) => {
        received.push(message);
        // The handler asks for the next message only after it gets one; read on to see the half-close.
        this.startRead();
      },
      onReceiveHalfClose: () => {
        const [first] = received;
        const problem = received.length === 0 ? "missing" : received.length > 1 ? "extra" : undefined;
        listener.onReceiveMessage(problem === undefined ? first : undecodableRequest(this.input, problem));
        listener.onReceiveHalfClose();
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
