import { EventEmitter } from "node:events";
import type { RedisClient } from "./client.js";

/**
 * Tracks whether Redis answers, from the client's connection events and a
 * periodic PING (which also catches a server that accepts connections but
 * stopped answering). Emits "change" with the new state; health checks and
 * metrics listen to it so no request path has to ask Redis.
 */
export class RedisReadiness extends EventEmitter<{ change: [ready: boolean] }> {
  #ready = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly pingIntervalMs = 1000,
  ) {
    super();
    client.on("ready", () => this.#set(true));
    for (const event of ["close", "end", "reconnecting"]) client.on(event, () => this.#set(false));
    // ioredis emits "error" for every failed reconnect too; listening keeps it from crashing the process.
    client.on("error", () => {
      if (client.status !== "ready") this.#set(false);
    });
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Starts the background PING; stops with `stop()`. */
  start(): this {
    this.#set(this.client.status === "ready");
    this.#timer ??= setInterval(() => void this.#probe(), this.pingIntervalMs).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #probe(): Promise<void> {
    if (this.client.status !== "ready") return this.#set(false);
    try {
      await this.client.ping();
      this.#set(true);
    } catch {
      this.#set(false);
    }
  }

  #set(ready: boolean): void {
    if (ready === this.#ready) return;
    this.#ready = ready;
    this.emit("change", ready);
  }
}
