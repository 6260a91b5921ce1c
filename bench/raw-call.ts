import { Client, credentials, type ServiceError } from "@grpc/grpc-js";

/**
 * A unary gRPC client that sends request bytes as given and returns the reply
 * bytes: the very body h2load sends, so what a call costs is measured for that
 * body (no idempotency key added, unlike the kit's client). It rejects unless
 * the call ends with status OK.
 */
export class RawCaller {
  readonly #client: Client;

  constructor(port: number) {
    this.#client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
  }

  call(path: string, request: Uint8Array): Promise<Buffer> {
    const bytes = (value: Buffer) => value;
    return new Promise((resolve, reject) =>
      this.#client.makeUnaryRequest(path, bytes, bytes, Buffer.from(request), (error: ServiceError | null, reply?: Buffer) =>
        error ? reject(error) : resolve(reply!),
      ),
    );
  }

  close(): void {
    this.#client.close();
  }
}
