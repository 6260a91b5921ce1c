import type { Metadata, ServerUnaryCall, ServerWritableStream } from "@grpc/grpc-js";
import { type Caller, type CallEnd, type CallScope, openCallScope } from "@faultmaven/call-scope";
import type { Logger } from "pino";
import { callerOf } from "./caller.js";
import { onGuardedCallEnd } from "./guard-transport.js";

/** What a handler knows about the call besides its request. */
export interface CallContext {
  /** Full method name, e.g. "faultmaven.session.v1.SessionService/GetSession". */
  readonly method: string;
  /** The caller's deadline, when it set one. */
  readonly deadline: Date | undefined;
  /**
   * Aborted when the caller cancels (CancelledError), the deadline passes
   * (DeadlineExceededError) or, for a stream, the server ends it
   * (ServerShuttingDownError): stop work then. Made when first read.
   */
  readonly signal: AbortSignal;
  /** The scope the handler runs in (deadline, the call's end, caller); absent in a context built by hand (tests), which gets one from `deadline` and `signal`. */
  readonly scope?: CallScope;
  readonly metadata: Metadata;
  /** The caller's address, for the log. */
  readonly peer: string;
  /** Who is calling: its certificate's identity, and the end user's address (see caller.ts). */
  readonly caller: Caller;
  /** Logger bound to this call (method, request id, caller identity): made when first used. */
  readonly logger: Logger;
  /** What `logger` is bound to, for lines logged without it (the "rpc" line). */
  readonly logBindings: Readonly<Record<string, string>>;
}

/**
 * Builds the context of one call: its signal aborts at the deadline (our
 * own timer, so store work is interrupted on time), when the caller
 * cancels, or when `serverEnd` aborts (a stream the server ends). `close`
 * stops the timer and stops listening once the call is answered (grpc-js
 * reports every finished call as "cancelled").
 * `trustsClientAddressFrom` says which callers may name the end user's
 * address (the authorization policy's gateways).
 */
export function createCallContext(
  call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>,
  method: string,
  logger: Logger,
  trustsClientAddressFrom: (identity: string | undefined) => boolean = () => false,
  serverEnd?: AbortSignal,
): { context: CallContext; close: () => void } {
  const rawDeadline = call.getDeadline();
  const deadlineMs = rawDeadline instanceof Date ? rawDeadline.getTime() : Number.isFinite(rawDeadline) ? rawDeadline : undefined;
  const { caller, problem, peer } = callerOf(call, trustsClientAddressFrom);
  const opened = openCallScope(deadlineMs, caller);
  const stopFollowingCancel = followCancel(call, () => opened.cancel());
  const requestId = call.metadata.get("x-request-id")[0];
  const stopFollowingServerEnd = serverEnd && endWith(serverEnd, opened.end);
  const logBindings: Record<string, string> = { method };
  if (requestId) logBindings.request_id = String(requestId);
  if (caller.identity !== undefined) logBindings.caller = caller.identity;
  const context = new ServedCallContext(
    method,
    deadlineMs === undefined ? undefined : new Date(deadlineMs),
    opened.scope,
    call.metadata,
    peer,
    caller,
    logger,
    logBindings,
  );
  if (problem !== undefined) context.logger.warn({ peer: context.peer }, `client address ignored: ${problem}`);
  return {
    context,
    close() {
      stopFollowingCancel();
      stopFollowingServerEnd?.();
      opened.close();
    },
  };
}

/** A class, not an object literal with getters: V8 makes such literals slowly, and there is one per call. */
class ServedCallContext implements CallContext {
  #logger: Logger | undefined;

  constructor(
    readonly method: string,
    readonly deadline: Date | undefined,
    readonly scope: CallScope,
    readonly metadata: Metadata,
    readonly peer: string,
    readonly caller: Caller,
    private readonly processLogger: Logger,
    readonly logBindings: Readonly<Record<string, string>>,
  ) {}

  get signal(): AbortSignal {
    return this.scope.signal;
  }

  /** Made when first used: a child logger costs its bindings' serialization, and most calls log nothing but their "rpc" line. */
  get logger(): Logger {
    this.#logger ??= this.processLogger.child(this.logBindings);
    return this.#logger;
  }
}

/** Ends the call when the server ends its stream (`serverEnd` aborts); returns a function that stops following it. */
function endWith(serverEnd: AbortSignal, end: CallEnd): () => void {
  const onServerEnd = () => end.end(serverEnd.reason as Error);
  if (serverEnd.aborted) onServerEnd();
  else serverEnd.addEventListener("abort", onServerEnd, { once: true });
  return () => serverEnd.removeEventListener("abort", onServerEnd);
}

/**
 * Calls `cancel` when grpc-js reports the call cancelled (as it does for
 * every call it ends); returns a function that stops following it. Through
 * the transport guard beneath the call when there is one, else the call's
 * "cancelled" event.
 */
function followCancel(call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>, cancel: () => void): () => void {
  if (call.cancelled) {
    cancel();
    return () => {};
  }
  const stop = onGuardedCallEnd((call as { call?: unknown }).call, cancel);
  if (stop !== undefined) return stop;
  call.once("cancelled", cancel);
  return () => call.removeListener("cancelled", cancel);
}
