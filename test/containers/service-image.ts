import { docker } from "./docker.js";
import { recordFigure } from "./figures.js";

/** The gRPC port each service's image declares (the README's defaults). */
export const imagePorts = { "session-svc": 50051, "auth-svc": 50052, "report-svc": 50053 } as const;
export type ServiceName = keyof typeof imagePorts;

const built = new Map<ServiceName, Promise<string>>();

/**
 * Builds a service's production image from the shipped Dockerfile, tagged
 * as docker-compose.yml names it (faultmaven/<service>), once per run;
 * records its size. Layers are cached in the dockerd data-root, so an
 * unchanged tree rebuilds in seconds.
 */
export function serviceImage(service: ServiceName): Promise<string> {
  let image = built.get(service);
  if (!image) {
    image = build(service);
    built.set(service, image);
  }
  return image;
}

async function build(service: ServiceName): Promise<string> {
  const tag = `faultmaven/${service}`;
  const started = performance.now();
  await docker(
    "build",
    "--quiet",
    "--network",
    "host",
    "--build-arg",
    `SERVICE=${service}`,
    "--build-arg",
    `PORT=${imagePorts[service]}`,
    "-t",
    tag,
    ".",
  );
  const bytes = Number(await docker("image", "inspect", "--format", "{{.Size}}", tag));
  recordFigure(service, "image size", `${(bytes / 1e6).toFixed(0)} MB`);
  recordFigure(service, "image build", `${((performance.now() - started) / 1000).toFixed(1)} s`);
  return tag;
}
