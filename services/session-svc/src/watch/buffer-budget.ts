/**
 * The bytes all watchers of a process may hold in their buffers together,
 * so many slow readers cannot add up to more memory than the process can
 * spare even when each stays within its own bound.
 */
export class BufferBudget {
  #used = 0;

  constructor(private readonly capacity: number) {}

  /** Bytes held at present. */
  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` when they fit, and says whether they did. */
  take(bytes: number): boolean {
    if (this.#used + bytes > this.capacity) return false;
    this.#used += bytes;
    return true;
  }

  /** Gives back bytes taken. */
  give(bytes: number): void {
    this.#used -= bytes;
  }
}
