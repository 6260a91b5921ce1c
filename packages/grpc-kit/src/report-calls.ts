import { status } from "@grpc/grpc-js";
import type { Middleware, UnaryCall } from "./middleware.js";
import { statusCodeOf } from "./status-details.js";

/** Told once of each call as it settles: when it started (process.hrtime.bigint()), its status code, and what it threw. */
export type CallReporter = (call: UnaryCall, startedNs: bigint, code: status, error?: unknown) => void;

/**
 * Runs `reporters` (metrics, the "rpc" line) once per call, with the outcome
 * of the rest of the pipeline, in the order given. One promise step per call
 * for all of them, instead of an async layer each. (composeMiddleware's
 * `next` never throws synchronously.)
 */
export function reportCalls(...reporters: readonly CallReporter[]): Middleware {
  return (call, next) => {
    const startedNs = process.hrtime.bigint();
    return next(call).then(
      (response) => {
        for (const report of reporters) report(call, startedNs, status.OK);
        return response;
      },
      (error: unknown) => {
        const code = statusCodeOf(error);
        for (const report of reporters) report(call, startedNs, code, error);
        throw error;
      },
    );
  };
}
