/**
 * The end of one call (cancelled, past its deadline, or ended by the
 * server), made cheap to watch: almost every call ends by being answered and
 * nothing waits on its end, yet an AbortController, its signal and an
 * addEventListener cost several µs on every call. So listeners are a plain
 * list, and the AbortSignal is made only when something asks for it (a
 * stream, a ChromaDB request, a backoff pause).
 */
export class CallEnd {
  #reason: Error | undefined;
  #listeners: (() => void)[] | undefined;
  #controller: AbortController | undefined;

  /** True once the call is over. */
  get ended(): boolean {
    return this.#reason !== undefined;
  }

  /** Why the call ended (a DeadlineExceededError, a CancelledError, or the error the server ended it with). */
  get reason(): Error | undefined {
    return this.#reason;
  }

  /** Aborts with `reason` when the call ends (at once when it has): made on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /**
   * Calls `listener` once, when the call ends. As with an AbortSignal, a
   * listener added after the end is never called: check `ended` first.
   * Returns a function that stops listening.
   */
  onEnd(listener: () => void): () => void {
    if (this.#reason !== undefined) return () => {};
    this.#listeners ??= [];
    const listeners = this.#listeners;
    listeners.push(listener);
    return () => {
      // Once the call has ended the list is being (or has been) run: leave it whole, as an AbortSignal does.
      if (this.#listeners !== listeners) return;
      const index = listeners.indexOf(listener);
      if (index >= 0) listeners.splice(index, 1);
    };
  }

  /** Ends the call with `reason`; later calls change nothing. */
  end(reason: Error): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    for (const listener of listeners ?? []) listener();
    this.#controller?.abort(reason);
  }
}
