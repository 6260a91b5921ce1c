import { ServerInterceptingCall, type ServerInterceptingCallInterface, type ServerInterceptor, type StatusObject } from "@grpc/grpc-js";
import type { ConnectionTable } from "./connection-table.js";

type Listener = Parameters<ServerInterceptingCallInterface["start"]>[0];

/** Tells the connection table when a call starts and ends on a connection, so that it knows which connections are idle. */
class TrackedCall extends ServerInterceptingCall {
  #open = false;

  constructor(
    next: ServerInterceptingCallInterface,
    private readonly connections: ConnectionTable,
  ) {
    super(next);
  }

  override start(listener: Listener): void {
    this.#open = true;
    this.connections.callStarted(this.getPeer());
    super.start({
      onReceiveMetadata: (metadata) => listener.onReceiveMetadata(metadata),
      onReceiveMessage: (message) => listener.onReceiveMessage(message),
      onReceiveHalfClose: () => listener.onReceiveHalfClose(),
      onCancel: () => {
        this.#end();
        listener.onCancel();
      },
    });
  }

  override sendStatus(status: StatusObject): void {
    this.#end();
    super.sendStatus(status);
  }

  #end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.connections.callEnded(this.getPeer());
  }
}

/** A grpc-js server interceptor reporting every call's start and end to `connections`. */
export function trackConnectionUse(connections: ConnectionTable): ServerInterceptor {
  return (_method, call) => new TrackedCall(call, connections);
}
