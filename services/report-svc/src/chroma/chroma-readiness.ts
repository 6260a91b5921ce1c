import { EventEmitter } from "node:events";
import type { ContentStore } from "../domain/content-store.js";

/** Polls the content store's heartbeat in the background and emits "change" when it comes or goes. */
export class ChromaReadiness extends EventEmitter<{ change: [ready: boolean] }> {
  #ready = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly content: ContentStore,
    private readonly intervalMs = 1000,
  ) {
    super();
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Probes once now, then every interval. */
  async start(): Promise<this> {
    await this.#probe();
    this.#timer ??= setInterval(() => void this.#probe(), this.intervalMs).unref();
    return this;
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #probe(): Promise<void> {
    const ready = await this.content.ping();
    if (ready === this.#ready) return;
    this.#ready = ready;
    this.emit("change", ready);
  }
}
