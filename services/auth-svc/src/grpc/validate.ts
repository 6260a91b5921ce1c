import { InvalidArgumentError } from "@faultmaven/errors";
import { TOKEN_ID_PATTERN, USER_ID_PATTERN } from "../domain/token.js";

const USERNAME = /^[a-z0-9_.@+-]{3,64}$/;
const EMAIL = /^[a-z0-9_.+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const ROLE = /^[A-Za-z0-9_.:-]{1,64}$/;
const CONTROL = /\p{Cc}/u;

/** Request-field validators; each throws INVALID_ARGUMENT naming the field. */
export const validate = {
  /** Lower-cases (uniqueness is case-insensitive) and checks a username. */
  username(field: string, value: string): string {
    const normalised = value.toLowerCase();
    if (value === "") throw new InvalidArgumentError(field, "is required");
    if (!USERNAME.test(normalised) || normalised.includes("..")) {
      throw new InvalidArgumentError(field, "must be 3-64 characters of letters, digits and _ . @ + -");
    }
    return normalised;
  },

  /** Lower-cases and checks an e-mail address. */
  email(field: string, value: string): string {
    const normalised = value.toLowerCase();
    if (value === "") throw new InvalidArgumentError(field, "is required");
    if (normalised.length > 254 || !EMAIL.test(normalised) || normalised.includes("..")) {
      throw new InvalidArgumentError(field, "must be an e-mail address (letters, digits and _ . + - before the @)");
    }
    return normalised;
  },

  displayName(field: string, value: string): string {
    if ([...value].length > 128 || CONTROL.test(value)) {
      throw new InvalidArgumentError(field, "must be at most 128 characters, without control characters");
    }
    return value;
  },

  roles(field: string, roles: readonly string[]): string[] {
    if (roles.length > 32) throw new InvalidArgumentError(field, "must have at most 32 roles");
    for (const role of roles) {
      if (!ROLE.test(role)) throw new InvalidArgumentError(field, "roles must be 1-64 characters of letters, digits and _ . : -");
    }
    return [...new Set(roles)];
  },

  userId(field: string, value: string): string {
    if (value === "") throw new InvalidArgumentError(field, "is required");
    if (!USER_ID_PATTERN.test(value)) throw new InvalidArgumentError(field, "is not a user id (usr_...)");
    return value;
  },

  tokenId(field: string, value: string): string {
    if (value === "") throw new InvalidArgumentError(field, "is required");
    if (!TOKEN_ID_PATTERN.test(value)) throw new InvalidArgumentError(field, "is not a token id (tok_...)");
    return value;
  },

  /** A token must at least look like one of ours (fm1.<user>.<id>.<secret>). */
  tokenShape(field: string, value: string): string {
    if (value === "") throw new InvalidArgumentError(field, "is required");
    if (value.length > 200 || !/^fm1\.usr_[A-Za-z0-9_-]{22}\.tok_[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/.test(value)) {
      throw new InvalidArgumentError(field, "is not a FaultMaven token (fm1.…)");
    }
    return value;
  },
};
