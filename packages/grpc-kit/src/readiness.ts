import { EventEmitter } from "node:events";

/**
 * Anything whose readiness can come and go (a Redis connection, a ChromaDB
 * heartbeat): its state now, and a "change" event when it flips. Redis's and
 * Chroma's readiness trackers already have this shape.
 */
export interface ReadinessSource {
  readonly ready: boolean;
  on(event: "change", listener: (ready: boolean) => void): unknown;
}

/** A readiness source set from outside, for stores that report through a callback (`openStore`'s `setServing`). */
export class ReadinessFlag extends EventEmitter<{ change: [ready: boolean] }> implements ReadinessSource {
  #ready: boolean;

  constructor(ready = false) {
    super();
    this.#ready = ready;
  }

  get ready(): boolean {
    return this.#ready;
  }

  set(ready: boolean): void {
    if (ready === this.#ready) return;
    this.#ready = ready;
    this.emit("change", ready);
  }
}
