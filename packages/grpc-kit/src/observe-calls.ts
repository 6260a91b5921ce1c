import { status } from "@grpc/grpc-js";
import type { Middleware } from "./middleware.js";
import { statusCodeOf } from "./status-details.js";

/** Told of every finished call (metrics hang here). */
export type CallObserver = (event: { service: string; method: string; code: status; seconds: number; error?: unknown }) => void;

/** Reports every call's outcome and duration to `observers` (the Prometheus counters). */
export function observeCalls(observers: readonly CallObserver[]): Middleware {
  return async (call, next) => {
    const started = process.hrtime.bigint();
    const report = (code: status, error?: unknown) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      for (const observe of observers) observe({ service: call.method.service, method: call.method.name, code, seconds, error });
    };
    try {
      const response = await next(call);
      report(status.OK);
      return response;
    } catch (error) {
      report(statusCodeOf(error), error);
      throw error;
    }
  };
}
