import { AsyncLocalStorage } from "node:async_hooks";
import type { CallEnd } from "./call-end.js";
import { scopeOf } from "./open-call-scope.js";

/** What the stores need to know about the call they work for. */
export interface CallScope {
  /** The caller's deadline (Unix ms), or undefined when it set none. */
  readonly deadline: number | undefined;
  /** Aborted when the call is over; the reason is a DeadlineExceededError or a CancelledError. Costs an AbortController: watch `end` where there is one (onCallEnd). */
  readonly signal: AbortSignal;
  /** The call's end, cheaper to watch than `signal`; absent in a scope made from a bare signal (tests). */
  readonly end?: CallEnd;
  /** The caller's idempotency key for this call, when it gave one (see IdempotencyKey). */
  readonly idempotency?: IdempotencyKey;
  /** Who is calling, for authorization, throttling and the audit trail. */
  readonly caller?: Caller;
}

/** Who a call comes from. */
export interface Caller {
  /** The workload identity from the client certificate (SPIFFE URI SAN, else subject CN); undefined without mutual TLS. */
  readonly identity: string | undefined;
  /** The end user's address: the one a trusted gateway passes in metadata, else the peer's. */
  readonly source: string;
}

/**
 * A mutating call's idempotency key: the store's idempotent scripts record
 * their reply under it, atomically with their effect, and answer a retry
 * with the same key by that reply instead of acting again.
 */
export interface IdempotencyKey {
  /** `{Method}:{key}`: the caller's key, scoped to the method it was sent with. */
  readonly name: string;
  /** SHA-256 hex of the request without its key: the same key with another request is refused. */
  readonly fingerprint: string;
  /** How long the recorded reply is kept (ms). */
  readonly windowMs: number;
}

const storage = new AsyncLocalStorage<CallScope | undefined>();

/** Runs `work` (and everything it starts) inside `scope`. */
export function runInCallScope<T>(scope: CallScope, work: () => T): T {
  return storage.run(scope, work);
}

/** The scope of the call this code runs for, or undefined outside any call. */
export function currentCallScope(): CallScope | undefined {
  return storage.getStore();
}

/**
 * Runs `work` outside any call scope: for the service's own work started
 * during a call (cleanup of a failed write) and for client internals
 * (sockets, timers, reconnects) that must never inherit a call's scope.
 */
export function outsideCallScope<T>(work: () => T): T {
  // Not storage.exit(): on Node 20 it disables the storage, and with it the process's promise hooks, and
  // enables them again, each time (two setPromiseHooks per Redis command). Running with no scope is the same
  // for our code: currentCallScope() is undefined inside, and in what `work` starts.
  return storage.run(undefined, work);
}

/**
 * `scope` with `idempotency` as its idempotency key (undefined: without
 * one); its signal is still made only when asked for. Derive scopes with
 * this, never by spreading one: a served scope's `signal` is a getter of
 * its class, which a spread leaves behind.
 */
export function withIdempotency(scope: CallScope, idempotency: IdempotencyKey | undefined): CallScope {
  if (scope.end !== undefined) return scopeOf(scope.deadline, scope.end, scope.caller, idempotency);
  return { deadline: scope.deadline, signal: scope.signal, caller: scope.caller, idempotency };
}
