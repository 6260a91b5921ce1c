import { KeyPattern, part } from "./key-pattern.js";

/**
 * Where an idempotent script records its reply: `{ns}idem:{<anchor key>}:{Method}:{key}`,
 * with `{ns}` the anchor's namespace (its text up to the first `:`). The
 * anchor key in braces is a Redis Cluster hash tag, so the record sits in
 * the anchor's slot and the script can write both atomically on Cluster too.
 */
export function idempotencyRecordKey(anchor: string, name: string): string {
  return `${anchor.slice(0, anchor.indexOf(":") + 1)}idem:{${anchor}}:${name}`;
}

/** The idempotency records of a namespace (`session:`), for a service's key schema. */
export function idempotencyRecordPattern(namespace: string, writtenBy: string): KeyPattern {
  const anchor = part("anchor", { pattern: new RegExp(`^${namespace}[A-Za-z0-9_.@+:-]{1,300}$`), patternDescription: "a key" });
  const method = part("method", { pattern: /^[A-Z][A-Za-z]{1,63}$/, patternDescription: "a method name" });
  const key = part("idempotency_key", { pattern: /^[A-Za-z0-9_-]{1,128}$/, patternDescription: "an idempotency key" });
  return new KeyPattern(`${namespace}idem:{{anchor}}:{method}:{idempotency_key}`, [anchor, method, key], {
    type: "String: SHA-256 hex of the request, then the recorded reply (MessagePack)",
    ttl: "the idempotency window (IDEMPOTENCY_WINDOW_SECONDS, default 15 min)",
    writtenBy:
      `${writtenBy}, when given an idempotency_key; the record is written by the call's commit script. ` +
      "`{{anchor}}` is the anchor key itself inside literal braces: a Cluster hash tag that keeps the record in the anchor's slot",
  });
}
