import type { Duration } from "@bufbuild/protobuf/wkt";
import { InvalidArgumentError } from "@faultmaven/errors";
import { keyPart } from "@faultmaven/redis";
import { SESSION_ID_PATTERN } from "../domain/session-id.js";

/** Input limits: generous for real use, small enough to keep a session a few hundred KB at most. */
export const LIMITS = {
  contextEntries: 64,
  contextKeyLength: 64,
  contextValueLength: 4096,
  messageContentLength: 32 * 1024,
  metadataEntries: 32,
  metadataValueLength: 1024,
  defaultPageSize: 20,
  maxPageSize: 100,
  defaultLeaseMs: 30_000,
  minLeaseMs: 100,
  maxLeaseMs: 600_000,
} as const;

const MAP_KEY = /^[A-Za-z0-9_.-]+$/;

/** Validators for request fields. Each throws INVALID_ARGUMENT naming the field. */
export const validate = {
  sessionId(value: string, field = "session_id"): string {
    if (value === "") throw new InvalidArgumentError(field, "is required");
    if (!SESSION_ID_PATTERN.test(value)) throw new InvalidArgumentError(field, "is not a session id (sess_...)");
    return value;
  },

  id(field: string, value: string): string {
    return keyPart(field, value);
  },

  /** An optional id: empty is allowed and means "none". */
  optionalId(field: string, value: string): string {
    return value === "" ? "" : keyPart(field, value);
  },

  stringMap(field: string, map: Record<string, string>, maxEntries: number, maxValue: number): Record<string, string> {
    const entries = Object.entries(map);
    if (entries.length > maxEntries) throw new InvalidArgumentError(field, `must have at most ${maxEntries} entries`);
    for (const [key, value] of entries) {
      validate.mapKey(`${field}.${key.slice(0, 64)}`, key);
      if (value.length > maxValue) throw new InvalidArgumentError(`${field}.${key}`, `must be at most ${maxValue} characters`);
    }
    return map;
  },

  mapKey(field: string, key: string): string {
    // "__proto__" would reach the object prototype of a plain JS map.
    if (key.length === 0 || key.length > LIMITS.contextKeyLength || !MAP_KEY.test(key) || key === "__proto__") {
      throw new InvalidArgumentError(field, `keys must be 1-${LIMITS.contextKeyLength} characters of letters, digits and _ . -`);
    }
    return key;
  },

  /** A lease as a Duration; unset means the default. */
  leaseMs(field: string, lease: Duration | undefined): number {
    if (lease === undefined) return LIMITS.defaultLeaseMs;
    const ms = Number(lease.seconds) * 1000 + Math.floor(lease.nanos / 1e6);
    if (ms < LIMITS.minLeaseMs || ms > LIMITS.maxLeaseMs) {
      throw new InvalidArgumentError(field, `must be between ${LIMITS.minLeaseMs} ms and ${LIMITS.maxLeaseMs / 1000} s`);
    }
    return ms;
  },

  fencingToken(value: bigint): number {
    if (value <= 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new InvalidArgumentError("fencing_token", "is required (the token AcquireSessionLock returned)");
    }
    return Number(value);
  },
};
