import type { ParsedToken } from "../domain/token.js";

/**
 * A token's SHA-256 as its Redis hash holds it (`digest`): base64url, 43
 * bytes instead of 64 hex, so the token hash stays a small listpack.
 */
export function tokenDigest(token: ParsedToken): string {
  return Buffer.from(token.sha256, "hex").toString("base64url");
}
