import { ServiceError } from "./service-error.js";

/** The named resource does not exist (or has expired). */
export class NotFoundError extends ServiceError {
  readonly code = "NOT_FOUND";

  constructor(
    readonly resourceType: string,
    readonly resourceName: string,
    message = `${resourceType} not found`,
  ) {
    super(message, `${upperSnake(resourceType)}_NOT_FOUND`, { resource_type: resourceType });
  }
}

function upperSnake(text: string): string {
  return text
    .replace(/([a-z])([A-Z])/g, "$1_$2")
    .replace(/\W+/g, "_")
    .toUpperCase();
}
