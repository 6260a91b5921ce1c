import { ServiceError } from "./service-error.js";

/** One bad field: its path in the request (snake_case, dotted) and why. */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** Bad input. Always names the offending field(s). */
export class InvalidArgumentError extends ServiceError {
  readonly code = "INVALID_ARGUMENT";
  readonly violations: readonly FieldViolation[];

  constructor(field: string, description: string);
  constructor(violations: readonly FieldViolation[]);
  constructor(fieldOrViolations: string | readonly FieldViolation[], description = "") {
    const violations = typeof fieldOrViolations === "string" ? [{ field: fieldOrViolations, description }] : fieldOrViolations;
    super(violations.map((v) => `${v.field}: ${v.description}`).join("; "), "INVALID_ARGUMENT", {
      field: violations.map((v) => v.field).join(","),
    });
    this.violations = violations;
  }

  /** Same violations with every field path put under `prefix` (e.g. "session."). */
  withFieldPrefix(prefix: string): InvalidArgumentError {
    return new InvalidArgumentError(this.violations.map((v) => ({ field: prefix + v.field, description: v.description })));
  }
}
