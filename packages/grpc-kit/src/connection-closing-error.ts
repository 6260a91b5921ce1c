import { ServiceError } from "@faultmaven/errors";

/**
 * The server is closing the stream's connection (it reached
 * GRPC_MAX_CONNECTION_AGE_MS and was sent GOAWAY): the stream is ended
 * before the grace period cuts the connection, so that the caller re-opens
 * it at once on a new connection. Answered UNAVAILABLE with RetryInfo.
 */
export class ConnectionClosingError extends ServiceError {
  readonly code = "UNAVAILABLE";

  constructor() {
    super("the server is closing this connection (its maximum age): open the stream again", "CONNECTION_CLOSING");
  }
}
