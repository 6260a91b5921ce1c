/** Matches every caller, even one without an identity (TLS without client certificates, or plaintext). */
export const ANYONE = "<anyone>";

/** Whether a caller's identity (undefined: it has none) is one a policy entry names. */
export type IdentityMatcher = (identity: string | undefined) => boolean;

/**
 * Compiles one identity pattern of the policy: an exact identity
 * (`spiffe://faultmaven/gateway`, or a CN), a prefix ending in `*`
 * (`spiffe://faultmaven/*`), `*` for any caller with an identity, or
 * `<anyone>` for every caller. Returns a problem (a string) for anything else.
 */
export function compileIdentityPattern(pattern: unknown): IdentityMatcher | string {
  if (typeof pattern !== "string" || pattern === "") return "must be a non-empty string";
  if (pattern.length > 2048) return "must be at most 2048 characters";
  if (/\s/.test(pattern)) return "must not contain whitespace";
  if (pattern === ANYONE) return () => true;
  const star = pattern.indexOf("*");
  if (star === -1) return (identity) => identity === pattern;
  if (star !== pattern.length - 1) return `"*" may only end a pattern (a prefix), as in "spiffe://faultmaven/*"`;
  const prefix = pattern.slice(0, -1);
  return (identity) => identity?.startsWith(prefix) === true;
}
