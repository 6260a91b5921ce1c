import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Path of the buf binary installed from npm (@bufbuild/buf). */
function bufBinary(): string {
  const require = createRequire(join(process.cwd(), "package.json"));
  return join(dirname(require.resolve("@bufbuild/buf/package.json")), "bin", "buf");
}

/**
 * Calls a service the way a person with grpcurl would: through server
 * reflection, with JSON in and out (`buf curl` stands in for grpcurl here).
 */
export async function bufCurl(address: string, path: string, body?: unknown): Promise<{ stdout: string; stderr: string; code: number }> {
  const args = ["curl", "--protocol", "grpc", "--http2-prior-knowledge", `http://${address}${path}`];
  if (body !== undefined) args.push("-d", JSON.stringify(body));
  try {
    const { stdout, stderr } = await run(bufBinary(), args, { timeout: 15_000 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; code?: number };
    return { stdout: failed.stdout ?? "", stderr: failed.stderr ?? "", code: typeof failed.code === "number" ? failed.code : 1 };
  }
}

/** `buf curl --list-methods`: the methods reflection exposes. */
export async function listMethods(address: string): Promise<string[]> {
  const args = ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-methods", `http://${address}`];
  const { stdout } = await run(bufBinary(), args, { timeout: 15_000 });
  return stdout
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
}
