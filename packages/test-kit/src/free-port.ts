import { createServer, type Server } from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * `count` distinct free ports: all are held open until every one is picked,
 * so two calls to the OS cannot hand back the same port.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => listen(0, "127.0.0.1")));
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/**
 * Holds `ports` on 0.0.0.0 (so any bind to them fails, loopback or not) until
 * `release` is called. A port something else already holds is left to it:
 * it is just as busy. For tests that prove nothing needs the default ports.
 */
export async function occupyPorts(ports: readonly number[]): Promise<{ release: () => Promise<void> }> {
  const held = await Promise.all(
    ports.map((port) =>
      listen(port, "0.0.0.0").catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EADDRINUSE") throw error;
        return undefined;
      }),
    ),
  );
  const servers = held.filter((server): server is Server => server !== undefined);
  return { release: () => Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))).then(() => undefined) };
}

function listen(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ port, host, exclusive: true }, () => resolve(server));
  });
}
