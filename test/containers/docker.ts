import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { EnvReader, processEnvironment } from "@faultmaven/config";

const run = promisify(execFile);

/**
 * Runs the docker CLI against the run's own dockerd (DOCKER_HOST, set by
 * scripts/containers/with-dockerd.sh) and returns its stdout, trimmed.
 */
export async function docker(...args: string[]): Promise<string> {
  if (!new EnvReader().string("DOCKER_HOST")) throw new Error("DOCKER_HOST is unset: run the container tests with `pnpm test:containers`");
  const { stdout } = await run("docker", args, { maxBuffer: 64 * 1024 * 1024, timeout: 900_000 });
  return stdout.trim();
}

/** `docker run -d --name <name> --network host <args...>`: a detached container on the host's loopback. */
export async function runOnHostNetwork(name: string, ...args: string[]): Promise<string> {
  return docker("run", "-d", "--name", name, "--network", "host", ...args);
}

/** `docker inspect --format` of one container or image field. */
export async function inspect(name: string, format: string): Promise<string> {
  return docker("inspect", "--format", format, name);
}

/** A container's stdout and stderr so far. */
export async function logs(name: string): Promise<string> {
  const { stdout, stderr } = await run("docker", ["logs", name], { maxBuffer: 64 * 1024 * 1024 });
  return stdout + stderr;
}

/** Removes containers (and their anonymous volumes) if they exist. */
export async function removeContainers(...names: string[]): Promise<void> {
  await Promise.all(names.map((name) => docker("rm", "-f", "-v", name).catch(() => undefined)));
}

/** A name unique to this run, for containers and volumes. */
export function uniqueName(what: string): string {
  return `fm-ct-${what}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** `docker-compose` (1.29, Debian's) with extra variables for the compose files' `${...}`. */
export async function dockerCompose(variables: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await run("docker-compose", args, {
    env: { ...processEnvironment(), ...variables },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 900_000,
  });
  return stdout.trim();
}
