import { ServiceError } from "./service-error.js";

/**
 * The caller is known (or known to have no identity) but the authorization
 * policy does not let it make this call. Nothing was read or changed.
 */
export class PermissionDeniedError extends ServiceError {
  readonly code = "PERMISSION_DENIED";

  constructor(message: string, metadata: Readonly<Record<string, string>>, reason = "CALLER_NOT_ALLOWED") {
    super(message, reason, metadata);
  }
}
