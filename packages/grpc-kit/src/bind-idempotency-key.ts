import { createHash } from "node:crypto";
import { clone, type DescMessage, type Message, toBinary } from "@bufbuild/protobuf";
import { reflect } from "@bufbuild/protobuf/reflect";
import { currentCallScope, runInCallScope, withIdempotency } from "@faultmaven/call-scope";
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
    return runInCallScope(withIdempotency(scope, idempotency), () => next(call));
  };
}

/**
 * SHA-256 hex of the request without its idempotency key and without its
 * secrets (fields marked `debug_redact`: passwords, tokens), which must not
 * reach Redis even hashed. Map entries are put in key order first: their
 * wire order is the sender's (Go, for one, varies it), not part of the request.
 */
function fingerprint(schema: DescMessage, request: Message): string {
  const copy = reflect(schema, clone(schema, request));
  for (const field of schema.fields) {
    if (field.name === "idempotency_key" || field.proto.options?.debugRedact) copy.clear(field);
  }
  sortMaps(schema, copy.message as unknown as Record<string, unknown>);
  return createHash("sha256").update(toBinary(schema, copy.message)).digest("hex");
}

/** Rebuilds every map of `message` (nested ones too) with its entries in key order. */
function sortMaps(schema: DescMessage, message: Record<string, unknown>): void {
  for (const field of schema.fields) {
    const oneof = field.oneof && (message[field.oneof.localName] as { case?: string; value?: unknown } | undefined);
    const value = field.oneof ? (oneof?.case === field.localName ? oneof.value : undefined) : message[field.localName];
    if (value === undefined || value === null) continue;
    if (field.fieldKind === "map") {
      const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (field.mapKind === "message") for (const [, v] of entries) sortMaps(field.message, v as Record<string, unknown>);
      message[field.localName] = Object.fromEntries(entries);
    } else if (field.fieldKind === "message") {
      sortMaps(field.message, value as Record<string, unknown>);
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      for (const item of value as Record<string, unknown>[]) sortMaps(field.message, item);
    }
  }
}
