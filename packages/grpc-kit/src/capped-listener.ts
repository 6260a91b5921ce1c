import { createServer } from "node:net";
import type { Server, ServerCredentials } from "@grpc/grpc-js";
import type { ConnectionTable } from "./connection-table.js";

/** The TCP listener in front of a grpc-js server. */
export interface CappedListener {
  readonly port: number;
  /** Stops accepting; open connections are left to the gRPC server's shutdown. */
  close(): void;
}

/**
 * Listens on `host:port` and hands each TCP connection to `server`
 * (grpc-js's connection injector, which speaks TLS when `credentials` do)
 * once `connections` admits it: grpc-js's own bind has no cap on
 * connections, and every open connection costs memory whether or not it is
 * used. A connection closed at the cap (the idlest one, or the new one) is
 * reported to `onClosedAtCap`; a client sees its call fail UNAVAILABLE.
 */
export async function listenCapped(options: {
  server: Server;
  credentials: ServerCredentials;
  host: string;
  port: number;
  connections: ConnectionTable;
  onClosedAtCap: () => void;
}): Promise<CappedListener> {
  const injector = options.server.createConnectionInjector(options.credentials);
  const listener = createServer({ noDelay: true }, (socket) => {
    const full = options.connections.size >= options.connections.max;
    if (full) options.onClosedAtCap();
    if (options.connections.admit(socket)) injector.injectConnection(socket);
    else socket.destroy();
  });
  const port = await new Promise<number>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(options.port, options.host, () => {
      listener.off("error", reject);
      const address = listener.address();
      resolve(typeof address === "object" && address !== null ? address.port : options.port);
    });
  });
  return { port, close: () => void listener.close() };
}
