import { Health, HealthCheckResponse_ServingStatus } from "@faultmaven/contract/rpc";
import { createClient } from "@faultmaven/grpc-kit";
import { freePorts, waitFor } from "@faultmaven/test-kit";
import { docker, inspect, logs, removeContainers, runOnHostNetwork, uniqueName } from "./docker.js";

/** How a service container is started: its image, variables and mounts. */
export interface ServiceContainerOptions {
  readonly image: string;
  readonly env: Record<string, string>;
  /** Host directory mounted read-only at /tls. */
  readonly tlsDir?: string;
}

/**
 * A service's production image run the way users run it: host networking
 * on loopback ports, a read-only root filesystem, the image's own user and
 * healthcheck (checked every second here instead of every ten).
 */
export class ServiceContainer {
  readonly name = uniqueName("svc");
  grpcPort = 0;
  private startedAt = 0;

  constructor(private readonly options: ServiceContainerOptions) {}

  get address(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  async start(): Promise<void> {
    const [grpcPort, metricsPort] = await freePorts(2);
    this.grpcPort = grpcPort!;
    const env = { GRPC_HOST: "127.0.0.1", GRPC_PORT: String(grpcPort), METRICS_PORT: String(metricsPort), ...this.options.env };
    this.startedAt = performance.now();
    await runOnHostNetwork(
      this.name,
      "--read-only",
      "--health-interval",
      "1s",
      "--health-start-period",
      "30s",
      ...(this.options.tlsDir ? ["-v", `${this.options.tlsDir}:/tls:ro`] : []),
      ...Object.entries(env).flatMap(([key, value]) => ["-e", `${key}=${value}`]),
      this.options.image,
    );
  }

  /** Waits for grpc.health.v1 to answer SERVING; returns ms since `docker run`. */
  async waitServing(timeoutMs = 60_000): Promise<number> {
    const client = createClient(Health, this.address, { defaultTimeoutMs: 1000 });
    try {
      await waitFor(
        `${this.name} to answer SERVING`,
        async () => (await client.check({ service: "" })).status === HealthCheckResponse_ServingStatus.SERVING,
        timeoutMs,
        50,
      );
      return performance.now() - this.startedAt;
    } finally {
      client.close();
    }
  }

  /** Waits for Docker's healthcheck (the image's HEALTHCHECK) to say healthy. */
  async waitHealthy(timeoutMs = 60_000): Promise<void> {
    await waitFor(`${this.name} to turn healthy`, async () => (await this.healthStatus()) === "healthy", timeoutMs, 250);
  }

  healthStatus(): Promise<string> {
    return inspect(this.name, "{{.State.Health.Status}}");
  }

  /** Waits for the container to exit on its own; returns its exit code. */
  async waitExit(timeoutMs = 60_000): Promise<number> {
    await waitFor(`${this.name} to exit`, async () => (await inspect(this.name, "{{.State.Status}}")) === "exited", timeoutMs, 200);
    return Number(await inspect(this.name, "{{.State.ExitCode}}"));
  }

  /** `docker stop` with a grace period (seconds); returns how long it took (ms) and the exit code. */
  async stop(graceSeconds: number): Promise<{ ms: number; exitCode: number }> {
    const started = performance.now();
    await docker("stop", "-t", String(graceSeconds), this.name);
    return { ms: performance.now() - started, exitCode: Number(await inspect(this.name, "{{.State.ExitCode}}")) };
  }

  logs(): Promise<string> {
    return logs(this.name);
  }

  remove(): Promise<void> {
    return removeContainers(this.name);
  }
}
