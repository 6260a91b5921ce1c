import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./free-port.js";
import { redisAnswers } from "./redis-answers.js";
import { waitFor } from "./wait-for.js";

/**
 * A real redis-server on a free loopback port, with nothing persisted. It can
 * be stopped and started again on the same port to test outages. It works in
 * its own temporary directory: a replica's full sync writes dump.rdb there,
 * and a start never loads a dump.rdb left in the current directory.
 */
export class RedisServer {
  #process: ChildProcess | undefined;
  #admin: Redis | undefined;

  readonly #dir = mkdtempSync(join(tmpdir(), "fm-redis-"));

  private constructor(
    readonly port: number,
    private readonly extraArgs: readonly string[],
  ) {}

  /** Starts a server (redis-server must be on PATH); `extraArgs` are added to its command line (e.g. --replicaof). */
  static async start(extraArgs: readonly string[] = []): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), extraArgs);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Environment that points a service at this server. */
  get env(): Record<string, string> {
    return { REDIS_HOST: "127.0.0.1", REDIS_PORT: String(this.port) };
  }

  /** True while the process runs (paused or not). */
  get running(): boolean {
    return this.#process !== undefined;
  }

  /** A direct connection for assertions against Redis itself. */
  get admin(): Redis {
    this.#admin ??= new Redis({ port: this.port, host: "127.0.0.1", lazyConnect: false, maxRetriesPerRequest: 1 });
    return this.#admin;
  }

  async start(): Promise<void> {
    if (this.#process) return;
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "no",
        "--dir",
        this.#dir,
        ...this.extraArgs,
      ],
      { stdio: "ignore" },
    );
    this.#process = child;
    child.once("exit", () => {
      if (this.#process === child) this.#process = undefined;
    });
    await waitFor(`redis-server on port ${this.port}`, () => redisAnswers(this.port));
  }

  /** Kills the server abruptly (as a crash would) and waits for it to be gone. */
  async stop(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    this.#admin?.disconnect();
    this.#admin = undefined;
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
    this.#admin?.disconnect();
    this.#admin = undefined;
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
