/**
 * A port the service was told to listen on is taken by another process.
 * The message names the address and the variable that moves it, so a
 * second `pnpm start` (or anything else on 50051) is obvious at once.
 */
export class PortInUseError extends Error {
  override name = "PortInUseError";

  constructor(
    readonly address: string,
    readonly variable: string,
    options?: { cause?: unknown },
  ) {
    super(`${address} is already in use by another process (set ${variable} to another port, or 0 for a free one)`, options);
  }
}

/** True for Node's and grpc-js's "address already in use" failures. */
export function isAddressInUse(error: unknown): boolean {
  return error instanceof Error && ((error as NodeJS.ErrnoException).code === "EADDRINUSE" || /EADDRINUSE/.test(error.message));
}
