import { InvalidArgumentError } from "@faultmaven/errors";

/**
 * AIP-158 paging shared by the list RPCs. Page tokens are opaque to callers:
 * base64url JSON of the next offset and the list it belongs to (its scope),
 * so a token cannot be replayed against another list.
 */
export function encodePageToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ s: scope, o: offset })).toString("base64url");
}

/** Offset of a page token (0 for the empty token); INVALID_ARGUMENT when it is not one of this list's. */
export function decodePageToken(scope: string, token: string): number {
  if (token === "") return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { s?: unknown; o?: unknown };
    if (parsed.s === scope && Number.isInteger(parsed.o) && (parsed.o as number) >= 0 && (parsed.o as number) < 1e6) {
      return parsed.o as number;
    }
  } catch {
    // fall through
  }
  throw new InvalidArgumentError("page_token", "is not a page token of this list");
}

/**
 * page_size: 0 means the default and larger than `max` is coerced down
 * (AIP-158). A negative size never gets here: the contract's `gte: 0` rule
 * refuses it before the handler runs.
 */
export function pageSize(value: number, fallback = 20, max = 100): number {
  return value <= 0 ? fallback : Math.min(value, max);
}
