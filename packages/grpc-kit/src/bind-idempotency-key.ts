import { createHash } from "node:crypto";
import { clone, type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
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
    const idempotency = { name: `${call.method.name}:${key}`, fingerprint: fingerprint(call.method.input, call.request), windowMs };
    return runInCallScope({ ...scope, idempotency }, () => next(call));
  };
}

/**
 * SHA-256 hex of the request without its idempotency key and without its
 * secrets (fields marked `debug_redact`: passwords, tokens), which must not
 * reach Redis even hashed.
 */
function fingerprint(schema: DescMessage, request: Message): string {
  const copy = reflect(schema, clone(schema, request));
  for (const field of schema.fields) {
    if (field.name === "idempotency_key" || field.proto.options?.debugRedact) copy.clear(field);
  }
  return createHash("sha256").update(toBinary(schema, copy.message)).digest("hex");
}
