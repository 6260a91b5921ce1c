/**
 * The scope of one incoming call (its deadline and cancellation), carried by
 * AsyncLocalStorage so that the store clients (Redis, ChromaDB, embedding
 * providers) can honour it without every function passing a signal along.
 * Work outside any call (reconciliation, samplers, readiness probes) sees no
 * scope and keeps its fixed timeouts.
 */
export {
  currentCallScope,
  outsideCallScope,
  runInCallScope,
  type Caller,
  type CallScope,
  type IdempotencyKey,
  withIdempotency,
} from "./call-scope.js";
export { CallEnd } from "./call-end.js";
export { openCallScope, type OpenCallScope } from "./open-call-scope.js";
export { callEndReason, callOverError, hasEnded, isCallOver, onCallEnd, scopedSignal } from "./call-over.js";
export { MemoryIdempotencyRecords, type RecordLookup } from "./memory-idempotency-records.js";
