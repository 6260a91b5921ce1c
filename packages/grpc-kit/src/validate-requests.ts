import type { Middleware } from "./middleware.js";
import { validateRequest } from "./request-validation.js";

/** Rejects a request that breaks its schema's rules before any handler (or store) sees it. */
export const validateRequests: Middleware = (call, next) => {
  validateRequest(call.method.input, call.request);
  return next(call);
};
