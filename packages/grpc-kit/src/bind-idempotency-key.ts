import { createHash } from "node:crypto";
import { toBinary } from "@bufbuild/protobuf";
import { currentCallScope, runInCallScope } from "@faultmaven/call-scope";
import type { Middleware } from "./middleware.js";

/**
 * Puts a mutating call's `idempotency_key` into its call scope (after
 * validation), where the store's idempotent scripts find it: they record
 * their reply under `{Method}:{key}` with the request's fingerprint, in the
 * same atomic run as their effect, for `windowMs`. Calls without a key go
 * on unchanged.
 */
export function bindIdempotencyKeys(windowMs: number): Middleware {
  return (call, next) => {
    const key = (call.request as { idempotencyKey?: unknown }).idempotencyKey;
    const scope = currentCallScope();
    if (typeof key !== "string" || key === "" || scope === undefined) return next(call);
    const withoutKey = { ...call.request, idempotencyKey: "" };
    const fingerprint = createHash("sha256").update(toBinary(call.method.input, withoutKey)).digest("hex");
    const idempotency = { name: `${call.method.name}:${key}`, fingerprint, windowMs };
    return runInCallScope({ ...scope, idempotency }, () => next(call));
  };
}
