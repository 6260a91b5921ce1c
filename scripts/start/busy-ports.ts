import { createServer } from "node:net";
import type { PlannedPort } from "./plan.js";

/** True when nothing else listens on host:port (we could bind it a moment ago). */
export function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => (error.code === "EADDRINUSE" ? resolve(false) : reject(error)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * One line per planned port that is already taken, naming the variable that
 * moves it ("port 8000 (ChromaDB) is already in use (set CHROMA_PORT)").
 * Port 0 is never busy: the OS picks one.
 */
export async function busyPorts(ports: readonly { host: string; planned: PlannedPort }[]): Promise<string[]> {
  const checks = await Promise.all(
    ports.map(async ({ host, planned }) => (planned.port === 0 || (await portIsFree(host, planned.port)) ? undefined : planned)),
  );
  return checks
    .filter((p): p is PlannedPort => p !== undefined)
    .map((p) => `port ${p.port} (${p.what}) is already in use (set ${p.variable})`);
}
