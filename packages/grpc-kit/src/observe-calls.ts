import type { status } from "@grpc/grpc-js";
import type { CallReporter } from "./report-calls.js";

/** Told of every finished call (metrics hang here). */
export type CallObserver = (event: { service: string; method: string; code: status; seconds: number; error?: unknown }) => void;

/** Reports every call's outcome and duration to `observers` (the Prometheus counters), as the call settles. */
export function observeCalls(observers: readonly CallObserver[]): CallReporter {
  return (call, startedNs, code, error) => {
    const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
    for (const observe of observers) observe({ service: call.method.service, method: call.method.name, code, seconds, error });
  };
}
