/**
 * What the contract's rules leave to the service: defaults and caps for
 * unset or large sizes (AIP-158 coerces, it does not refuse). Limits and
 * formats are checked before a handler runs (protovalidate rules in
 * report_service.proto).
 */
export const SEARCH_LIMIT = { default: 10, max: 50 } as const;

/** SearchReports' limit: 0 means the default, above the maximum is coerced down. */
export function searchLimit(value: number): number {
  return value <= 0 ? SEARCH_LIMIT.default : Math.min(value, SEARCH_LIMIT.max);
}
