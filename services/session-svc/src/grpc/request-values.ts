import type { Duration } from "@bufbuild/protobuf/wkt";

/**
 * What the contract's rules leave to the service: defaults for unset fields
 * and conversions to the store's units. Limits and formats are checked
 * before a handler runs (protovalidate rules in session_service.proto).
 */
export const DEFAULTS = { pageSize: 20, maxPageSize: 100, leaseMs: 30_000 } as const;

/** A lease in milliseconds; unset means the default (the contract bounds a set one to 100 ms-10 min). */
export function leaseMs(lease: Duration | undefined): number {
  if (lease === undefined) return DEFAULTS.leaseMs;
  return Number(lease.seconds) * 1000 + Math.floor(lease.nanos / 1e6);
}
