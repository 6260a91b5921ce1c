import { waitFor } from "@faultmaven/test-kit";
import { docker, removeContainers, runOnHostNetwork, uniqueName } from "./docker.js";

/**
 * A Redis container (redis:7.0) on a loopback port with host networking,
 * AOF on (fsync every second, as docker-compose.yml runs it) in a named
 * volume, so a replacement container on the same volume finds the data.
 */
export class RedisContainer {
  private name = uniqueName("redis");
  readonly volume = uniqueName("redis-data");

  constructor(readonly port: number) {}

  async start(): Promise<void> {
    await runOnHostNetwork(
      this.name,
      "-v",
      `${this.volume}:/data`,
      "redis:7.0",
      "redis-server",
      "--bind",
      "127.0.0.1",
      "--port",
      String(this.port),
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
    );
    await waitFor(
      "redis container to answer PING",
      async () => (await docker("exec", this.name, "redis-cli", "-p", String(this.port), "ping")) === "PONG",
      30_000,
      200,
    );
  }

  /** Stops this container (Redis writes its AOF on shutdown) and starts a new one on the same volume. */
  async replace(): Promise<void> {
    await docker("stop", this.name);
    await removeContainers(this.name);
    this.name = uniqueName("redis");
    await this.start();
  }

  async remove(): Promise<void> {
    await removeContainers(this.name);
    await docker("volume", "rm", "-f", this.volume).catch(() => undefined);
  }
}
