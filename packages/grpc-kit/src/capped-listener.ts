import { createServer, type Server as NetServer } from "node:net";
import type { Server, ServerCredentials } from "@grpc/grpc-js";

/** The TCP listener in front of a grpc-js server. */
export interface CappedListener {
  readonly port: number;
  /** Open TCP connections right now. */
  connections(): Promise<number>;
  /** Stops accepting; open connections are left to the gRPC server's shutdown. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` and hands each TCP connection to `server`
 * (grpc-js's connection injector, which speaks TLS when `credentials` do),
 * accepting at most `maxConnections` at once: grpc-js's own bind has no
 * such cap, and every open connection costs memory whether or not it is
 * used. A connection beyond the cap is closed as soon as it is accepted
 * (the client sees UNAVAILABLE and retries), and `onDrop` is told.
 */
export async function listenCapped(options: {
  server: Server;
  credentials: ServerCredentials;
  host: string;
  port: number;
  maxConnections: number;
  onDrop: () => void;
}): Promise<CappedListener> {
  const injector = options.server.createConnectionInjector(options.credentials);
  const listener = createServer({ noDelay: true }, (socket) => injector.injectConnection(socket));
  listener.maxConnections = options.maxConnections;
  listener.on("drop", () => options.onDrop());
  const port = await listen(listener, options.host, options.port);
  return {
    port,
    connections: () =>
      new Promise((resolve, reject) => listener.getConnections((error, count) => (error ? reject(error) : resolve(count)))),
    close: () => new Promise((resolve) => listener.close(() => resolve())),
  };
}

function listen(listener: NetServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(port, host, () => {
      listener.off("error", reject);
      const address = listener.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}
