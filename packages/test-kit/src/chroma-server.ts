import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freePort } from "./free-port.js";
import { waitFor } from "./wait-for.js";

/** The `chroma` CLI shipped in the chromadb npm package (a real local Chroma server). */
export function chromaCli(): string {
  let dir = dirname(createRequire(import.meta.url).resolve("chromadb"));
  while (!existsSync(join(dir, "dist", "cli.mjs"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find chromadb's dist/cli.mjs");
    dir = parent;
  }
  return join(dir, "dist", "cli.mjs");
}

/**
 * A real ChromaDB server on a free loopback port with its data in a temp
 * folder; it can be stopped and started again (same port, same data) to
 * test outages.
 */
export class ChromaServer {
  #process: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<ChromaServer> {
    const server = new ChromaServer(await freePort(), mkdtempSync(join(tmpdir(), "fm-chroma-")));
    await server.start();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get env(): Record<string, string> {
    return { CHROMA_URL: this.url };
  }

  async start(): Promise<void> {
    if (this.#process) return;
    const child = spawn(process.execPath, [chromaCli(), "run", "--path", this.dir, "--host", "127.0.0.1", "--port", String(this.port)], {
      stdio: "ignore",
    });
    this.#process = child;
    child.once("exit", () => {
      if (this.#process === child) this.#process = undefined;
    });
    await waitFor(
      `chroma on port ${this.port}`,
      async () => (await fetch(`${this.url}/api/v2/heartbeat`, { signal: AbortSignal.timeout(500) })).ok,
      30_000,
      100,
    );
  }

  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** Freezes the server (SIGSTOP): connections stay open but nothing answers, like a hung host. */
  pause(): void {
    this.#process?.kill("SIGSTOP");
  }

  /** Thaws a paused server (SIGCONT). */
  resume(): void {
    this.#process?.kill("SIGCONT");
  }

  async close(): Promise<void> {
    this.resume();
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
