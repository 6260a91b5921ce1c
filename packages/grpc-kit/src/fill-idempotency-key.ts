import { randomUUID } from "node:crypto";
import type { DescMessage } from "@bufbuild/protobuf";

/**
 * `request` with a fresh random `idempotency_key` when its message has that
 * field and the caller left it empty. grpc-js retries a call with the very
 * bytes it first sent, so every attempt of one call carries the same key and
 * the service applies the write at most once; separate calls get separate
 * keys, so nothing is deduplicated that the caller did not repeat.
 */
export function fillIdempotencyKey<T extends { idempotencyKey?: string }>(schema: DescMessage, request: T): T {
  if (!schema.fields.some((field) => field.name === "idempotency_key")) return request;
  if (request.idempotencyKey !== undefined && request.idempotencyKey !== "") return request;
  return { ...request, idempotencyKey: randomUUID() };
}
