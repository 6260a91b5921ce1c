import { spawn, type ChildProcess } from "node:child_process";
import { Redis } from "ioredis";
import { freePort } from "./free-port.js";
import { redisAnswers } from "./redis-answers.js";
import { waitFor } from "./wait-for.js";

/**
 * A real redis-server on a free loopback port, with nothing persisted. It can
 * be stopped and started again on the same port to test outages.
 */
export class RedisServer {
  #process: ChildProcess | undefined;
  #admin: Redis | undefined;

  private constructor(readonly port: number) {}

  /** Starts a server (redis-server must be on PATH). */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
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

  /** A direct connection for assertions against Redis itself. */
  get admin(): Redis {
    this.#admin ??= new Redis({ port: this.port, host: "127.0.0.1", lazyConnect: false, maxRetriesPerRequest: 1 });
    return this.#admin;
  }

  async start(): Promise<void> {
    if (this.#process) return;
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
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
  }
}
