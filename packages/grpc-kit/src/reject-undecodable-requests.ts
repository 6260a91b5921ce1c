import type { Middleware } from "./middleware.js";
import { undecodableProblem, UndecodableRequestError } from "./undecodable-request.js";

/**
 * Answers INVALID_ARGUMENT for a request that could not be decoded (see
 * `decodeRequest` and `OneRequestMessage`). It runs inside the metrics and
 * "rpc" log steps, so such calls are counted and logged like any other.
 */
export const rejectUndecodableRequests: Middleware = (call, next) => {
  const problem = undecodableProblem(call.request);
  if (problem !== undefined) throw new UndecodableRequestError(call.method.input.typeName, problem);
  return next(call);
};
