import { ServiceError } from "@faultmaven/errors";

/**
 * The process is draining (SIGTERM): the stream was ended, or a new one
 * refused, so that the caller opens it again on another replica. Answered
 * UNAVAILABLE with RetryInfo, like any transient outage.
 */
export class ServerShuttingDownError extends ServiceError {
  readonly code = "UNAVAILABLE";

  constructor() {
    super("the server is shutting down: open the stream again (another replica will take it)", "SERVER_SHUTTING_DOWN");
  }
}
