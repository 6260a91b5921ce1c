import { KeyPattern, part } from "./key-pattern.js";

/**
 * Where an idempotent script records its reply, in the anchor's Redis
 * Cluster slot so the script can write both atomically on Cluster too:
 * - an anchor without a hash tag: `{ns}idem:{<anchor key>}:{Method}:{key}`,
 *   with `{ns}` the anchor's namespace (its text up to the first `:`); the
 *   anchor in braces is the record's hash tag;
 * - an anchor with its own hash tag (`case:{c1}:reports`): `{ns}idem:` and
 *   the rest of the anchor (`case:idem:{c1}:reports:{Method}:{key}`), whose
 *   first braces are the anchor's tag.
 */
export function idempotencyRecordKey(anchor: string, name: string): string {
  const namespace = anchor.slice(0, anchor.indexOf(":") + 1);
  const rest = anchor.slice(namespace.length);
  return hasHashTag(rest) ? `${namespace}idem:${rest}:${name}` : `${namespace}idem:{${anchor}}:${name}`;
}

/** True when Redis Cluster hashes `key` by a tag: a `{` followed, not at once, by a `}`. */
function hasHashTag(key: string): boolean {
  const open = key.indexOf("{");
  return open >= 0 && key.indexOf("}", open) > open + 1;
}

/**
 * The idempotency records of a namespace (`session:`), for a service's key
 * schema; `tagged` for a namespace whose anchors carry their own hash tag.
 */
export function idempotencyRecordPattern(namespace: string, writtenBy: string, options: { tagged?: boolean } = {}): KeyPattern {
  const method = part("method", { pattern: /^[A-Z][A-Za-z]{1,63}$/, patternDescription: "a method name" });
  const key = part("idempotency_key", { pattern: /^[A-Za-z0-9_-]{1,128}$/, patternDescription: "an idempotency key" });
  const doc = {
    type: "String: SHA-256 hex of the request, then the recorded reply (MessagePack)",
    ttl: "the idempotency window (IDEMPOTENCY_WINDOW_SECONDS, default 15 min)",
  };
  const recorded = `${writtenBy}, when given an idempotency_key; the record is written by the call's commit script. `;
  if (options.tagged) {
    const anchor = part("anchor_rest", {
      pattern: /^\{[A-Za-z0-9_.@+-]{1,128}\}[A-Za-z0-9_.@+:{}-]{0,300}$/,
      patternDescription: "the anchor key less its namespace, starting with its hash tag",
    });
    return new KeyPattern(`${namespace}idem:{anchor_rest}:{method}:{idempotency_key}`, [anchor, method, key], {
      ...doc,
      writtenBy: `${recorded}\`{anchor_rest}\` is the anchor key less \`${namespace}\`; its first braces are the anchor's hash tag, so the record shares the anchor's slot`,
    });
  }
  const anchor = part("anchor", { pattern: new RegExp(`^${namespace}[A-Za-z0-9_.@+:-]{1,300}$`), patternDescription: "a key" });
  return new KeyPattern(`${namespace}idem:{{anchor}}:{method}:{idempotency_key}`, [anchor, method, key], {
    ...doc,
    writtenBy: `${recorded}\`{{anchor}}\` is the anchor key itself inside literal braces: a Cluster hash tag that keeps the record in the anchor's slot`,
  });
}
