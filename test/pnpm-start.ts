import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { processEnvironment } from "@faultmaven/config";

/** `pnpm start` as a newcomer runs it, with its output collected. */
export class PnpmStart {
  readonly output: string[] = [];
  readonly exited: Promise<number | null>;
  readonly #pid: number;

  constructor(env: Record<string, string>) {
    const child = spawn("pnpm", ["start"], { env: { ...processEnvironment(), ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    this.#pid = child.pid!;
    // Registered at once, so a start that dies early never leaves a test waiting for an exit it missed;
    // "close" comes after the last output line.
    this.exited = new Promise((resolve) => child.once("close", resolve));
    createInterface({ input: child.stdout! }).on("line", (line) => this.output.push(line));
    createInterface({ input: child.stderr! }).on("line", (line) => this.output.push(line));
  }

  get text(): string {
    return this.output.join("\n");
  }

  /** Resolves on the "ready:" line; rejects if it exits first or stays silent for `timeoutMs`. */
  async ready(timeoutMs = 60_000): Promise<string> {
    const until = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    for (;;) {
      const line = this.output.find((l) => l.startsWith("ready:"));
      if (line) return line;
      if (exitCode !== undefined) throw new Error(`pnpm start exited with ${exitCode}:\n${this.text}`);
      if (Date.now() > until) throw new Error(`no ready line within ${timeoutMs} ms:\n${this.text}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Ctrl-C to the whole process group; resolves with the exit code. */
  async interrupt(): Promise<number | null> {
    try {
      process.kill(-this.#pid, "SIGINT");
    } catch {
      // already gone
    }
    return this.exited;
  }
}
