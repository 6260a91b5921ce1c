import type { ServerHttp2Stream } from "node:http2";
import type { DescMessage } from "@bufbuild/protobuf";
import {
  type Metadata,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type StatusObject,
} from "@grpc/grpc-js";
import type { CallingConnections, ConnectionUse } from "./calling-connections.js";
import { closeIfUnfinished } from "./close-unfinished-requests.js";
import { http2StreamOf } from "./http2-stream-of.js";
import type { InFlightCalls, ShedReason, Slot } from "./in-flight-calls.js";
import { OneRequestMessage } from "./one-request-message.js";
import type { Receiving, ReceiveDeadlines } from "./receive-deadlines.js";
import { serverBusyAnswers } from "./server-busy-answers.js";

type Listener = Parameters<ServerInterceptingCallInterface["start"]>[0];

/** Until start() gives the handler's listener. */
const NO_LISTENER: Listener = { onReceiveMetadata() {}, onReceiveMessage() {}, onReceiveHalfClose() {}, onCancel() {} };

/** The transport limits every call is held to, and where they are counted. */
export interface TransportGuards {
  /** Per connection: its entry in the connection table (calls open on it) and the ping policy. */
  readonly connections: CallingConnections;
  /** The process's call slots and the bytes of unfinished requests. */
  readonly calls: InFlightCalls;
  /** Told of each call refused a slot or shed from one. */
  readonly onCallLimit: () => void;
  /** The time a call's request has to arrive whole (methods whose request is one message). */
  readonly deadlines: ReceiveDeadlines;
  /** The kit's server-streaming methods (paths): their slot is given back once the request is in (OpenStreams caps them after). */
  readonly serverStreams: ReadonlySet<string>;
  /** The kit's methods (path -> request schema): those with one request message get exactly one (OneRequestMessage). */
  readonly inputs: ReadonlyMap<string, DescMessage>;
}

/** What the guard does for one method, worked out at its first call. */
interface MethodRules {
  /** The request schema of a kit method whose request is one message; undefined: messages pass through. */
  readonly input: DescMessage | undefined;
  /** Its request is one message, so it must arrive whole within the receive time. */
  readonly receiveDeadline: boolean;
  /** A kit server stream: its slot is given back once its request is in. */
  readonly releaseOnceReceived: boolean;
}

/** A method's rules, the guards and the in-flight answers: shared by every call. */
interface Shared extends TransportGuards {
  readonly answers: Readonly<Record<ShedReason | "refused", StatusObject>>;
}

/**
 * One grpc-js server call under every transport limit, run as plain steps
 * in one layer: at its start the call is counted on its connection and
 * takes a call slot (or is refused), its request bytes are counted and its
 * receive deadline set; the request is held to one message; once it is in,
 * the bytes and deadline are dropped; at its status or cancellation
 * everything is given back and an unfinished request's stream is reset.
 * The call is its own listener for grpc-js's call beneath it and sends
 * straight down to it, so a call costs one object, not a wrapper, listener
 * and responder per concern.
 */
class GuardedCall extends ServerInterceptingCall implements Listener, Slot, Receiving {
  readonly #next: ServerInterceptingCallInterface;
  readonly #stream: ServerHttp2Stream;
  #listener = NO_LISTENER;
  /** Set while the call counts as open on its connection. */
  #connection: ConnectionUse | undefined;
  #holdsSlot = false;
  #countBytes: ((chunk: Buffer) => void) | undefined;
  #request: OneRequestMessage | undefined;
  #cancelled = false;
  #onEnd: (() => void) | undefined;

  constructor(
    next: ServerInterceptingCallInterface,
    private readonly rules: MethodRules,
    private readonly shared: Shared,
  ) {
    super(next);
    this.#next = next;
    this.#stream = http2StreamOf(next);
  }

  override start(listener: Listener): void {
    const { shared, rules } = this;
    this.#listener = listener;
    this.#connection = shared.connections.of(this.#stream.session, this.#next);
    this.#connection.callStarted();
    this.#holdsSlot = shared.calls.admit(this);
    if (this.#holdsSlot) {
      // A listener added to grpc-js's paused stream sees its chunks without changing its flow.
      this.#countBytes = (chunk) => shared.calls.receivedBytes(this, chunk.length);
      this.#stream.on("data", this.#countBytes);
      if (rules.receiveDeadline) shared.deadlines.watch(this);
    }
    if (rules.input !== undefined) this.#request = new OneRequestMessage(rules.input);
    this.#next.start(this);
    if (!this.#holdsSlot) {
      shared.onCallLimit();
      this.sendStatus(shared.answers.refused);
    }
  }

  override sendMetadata(metadata: Metadata): void {
    this.#next.sendMetadata(metadata);
  }

  override sendMessage(message: unknown, callback: () => void): void {
    this.#next.sendMessage(message, callback);
  }

  override sendStatus(status: Parameters<ServerInterceptingCallInterface["sendStatus"]>[0]): void {
    this.#end();
    this.#next.sendStatus(status);
    closeIfUnfinished(this.#stream);
  }

  /** In-flight cap: the call is ended to make room. */
  shed(reason: ShedReason): void {
    this.shared.onCallLimit();
    this.sendStatus(this.shared.answers[reason]);
  }

  /** Receive deadline: the request did not arrive whole in time. */
  receiveTimedOut(status: StatusObject): void {
    this.sendStatus(status);
  }

  onReceiveMetadata(metadata: Metadata): void {
    if (!this.#cancelled) this.#listener.onReceiveMetadata(metadata);
  }

  onReceiveMessage(message: unknown): void {
    if (this.#cancelled) return;
    const request = this.#request;
    if (request === undefined) {
      this.#listener.onReceiveMessage(message);
      return;
    }
    const next = request.received(message);
    if (next === "hold") this.#next.startRead();
    else if (next === "deliver") this.#deliver(request.take());
  }

  onReceiveHalfClose(): void {
    if (this.#cancelled) return;
    this.#requestReceived();
    const request = this.#request;
    if (request === undefined) this.#listener.onReceiveHalfClose();
    else if (request.halfClosed()) this.#deliver(request.take());
  }

  /** grpc-js ends every call with this (after its status, or when the stream closed first); nothing is passed on after it. */
  onCancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    closeIfUnfinished(this.#stream);
    this.#end();
    const onEnd = this.#onEnd;
    this.#onEnd = undefined;
    onEnd?.();
    this.#listener.onCancel();
  }

  /** Calls `listener` when grpc-js ends the call (at once if it has); returns a function that stops listening. */
  onEnd(listener: () => void): () => void {
    if (this.#cancelled) listener();
    else this.#onEnd = listener;
    return () => {
      this.#onEnd = undefined;
    };
  }

  #deliver(message: unknown): void {
    this.#listener.onReceiveMessage(message);
    this.#listener.onReceiveHalfClose();
  }

  /** The request is whole (the caller's half-close): its bytes are the handler's now, and its deadline is met. */
  #requestReceived(): void {
    this.#stopCountingBytes();
    this.shared.calls.received(this);
    this.shared.deadlines.received(this);
    if (this.rules.releaseOnceReceived) this.#releaseSlot();
  }

  #end(): void {
    this.shared.deadlines.received(this);
    this.#releaseSlot();
    this.#connection?.callEnded();
    this.#connection = undefined;
  }

  #releaseSlot(): void {
    if (!this.#holdsSlot) return;
    this.#holdsSlot = false;
    this.#stopCountingBytes();
    this.shared.calls.release(this);
  }

  #stopCountingBytes(): void {
    if (this.#countBytes === undefined) return;
    this.#stream.off("data", this.#countBytes);
    this.#countBytes = undefined;
  }
}

/**
 * Calls `listener` when grpc-js ends `call` (the intercepting call beneath a
 * handler's call object), when it is a guarded one; returns a function that
 * stops listening, or undefined for any other call. Cheaper than adding and
 * removing a "cancelled" listener on every call.
 */
export function onGuardedCallEnd(call: unknown, listener: () => void): (() => void) | undefined {
  return call instanceof GuardedCall ? call.onEnd(listener) : undefined;
}

/**
 * The kit's one grpc-js server interceptor: every call under `guards`
 * (connection use, ping policy, in-flight cap, receive time, one request
 * message, reset of unfinished streams). Each concern lives in its own
 * module; this composes them into one layer per call.
 */
export function guardTransport(guards: TransportGuards): ServerInterceptor {
  const shared: Shared = { ...guards, answers: serverBusyAnswers(guards.calls) };
  const rules = new Map<string, MethodRules>();
  return (method, call) => {
    let methodRules = rules.get(method.path);
    if (methodRules === undefined) {
      methodRules = {
        input: method.requestStream ? undefined : guards.inputs.get(method.path),
        receiveDeadline: !method.requestStream,
        releaseOnceReceived: guards.serverStreams.has(method.path),
      };
      rules.set(method.path, methodRules);
    }
    return new GuardedCall(call, methodRules, shared);
  };
}
