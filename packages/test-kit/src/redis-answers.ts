import { Redis } from "ioredis";

/** True when a Redis server on 127.0.0.1:port answers PING (one attempt, no retries). */
export async function redisAnswers(port: number): Promise<boolean> {
  const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } finally {
    // A refused connection has already ended: disconnect() would only arm
    // ioredis's 2 s destroy timer on the closed socket, holding Jest's exit.
    if (probe.status !== "end") probe.disconnect();
  }
}
