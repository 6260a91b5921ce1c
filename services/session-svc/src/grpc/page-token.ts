import { InvalidArgumentError } from "@faultmaven/errors";

/**
 * Page tokens are opaque to callers: base64url JSON of the next offset and
 * the user it belongs to, so a token cannot be replayed against another
 * user's list.
 */
export function encodePageToken(userId: string, offset: number): string {
  return Buffer.from(JSON.stringify({ u: userId, o: offset })).toString("base64url");
}

/** Offset of a page token (0 for the empty token); INVALID_ARGUMENT when it is not one of ours. */
export function decodePageToken(userId: string, token: string): number {
  if (token === "") return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { u?: unknown; o?: unknown };
    if (parsed.u === userId && Number.isInteger(parsed.o) && (parsed.o as number) >= 0 && (parsed.o as number) < 1e6) {
      return parsed.o as number;
    }
  } catch {
    // fall through
  }
  throw new InvalidArgumentError("page_token", "is not a page token of this list");
}
