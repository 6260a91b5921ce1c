import type { SessionEvent } from "../domain/session-event.js";
import type { BufferBudget } from "./buffer-budget.js";
import type { WatchLimits } from "./watch-limits.js";

/** What a watcher hands its stream next: an event, a request for a fresh snapshot, or the end. */
export type WatcherStep = { readonly event: SessionEvent } | { readonly resync: true } | { readonly end: true };

interface Queued {
  readonly event: SessionEvent;
  readonly bytes: number;
}

/**
 * One watch's buffer between the store's events and its stream, with the
 * gap check. Events arrive in publish order; a change must have the version
 * after the last one taken, a touch the same version: anything else is a
 * gap, and the watcher asks its stream for a fresh snapshot (events that
 * arrive meanwhile wait, and those the snapshot covers are dropped). The
 * buffer holds at most `bufferEvents` events and `bufferBytes` bytes, and
 * its bytes count against the process's `budget`: a reader that falls
 * further behind, or whose next event the budget cannot take, loses its
 * buffer and gets a snapshot instead, so slow readers cost bounded memory.
 * A snapshot older than an event dropped so (read before it came) is
 * followed by one more. It starts waiting for its first snapshot.
 */
export class Watcher {
  #queue: Queued[] = [];
  #bytes = 0;
  #version = 0;
  /** The newest version any offered event or snapshot named, even one a gap or an overflow dropped. */
  #newest = 0;
  /** The version of the published delete, once one arrived. */
  #deleted: number | undefined;
  #resync = true;
  /** A gap was reported while a snapshot was being read. */
  #gapDuringRead = false;
  /** The newest change dropped for a bound since the last snapshot, and whether a delete was. */
  #lostNewest = 0;
  #lostDelete = false;
  #ended: { error: unknown } | undefined;
  #wake: (() => void) | undefined;

  constructor(
    private readonly includeTouches: boolean,
    private readonly limits: Pick<WatchLimits, "bufferEvents" | "bufferBytes">,
    private readonly budget: BufferBudget,
  ) {}

  /** An event from the store (the same object is offered to every watcher of the session). */
  offer(event: SessionEvent, bytes: number): void {
    if (this.#ended) return;
    this.#note(event);
    if (!this.#resync) {
      const verdict = this.#verdict(event);
      if (verdict === "drop") return;
      if (verdict === "gap") this.#resync = true;
      else if (event.kind !== "touched") this.#version = event.version;
    }
    if (this.#queue.length >= this.limits.bufferEvents || this.#bytes + bytes > this.limits.bufferBytes || !this.budget.take(bytes)) {
      for (const queued of this.#queue) this.#noteLost(queued.event);
      this.#noteLost(event);
      this.#drain();
      this.#resync = true;
      this.#notify();
      return;
    }
    this.#queue.push({ event, bytes });
    this.#bytes += bytes;
    this.#notify();
  }

  /** The stream took a snapshot at `version`: drop what it covers and check the rest from there. */
  resynced(version: number): void {
    // What the snapshot may not cover: a gap reported during its read, a change past it or a delete dropped for
    // a bound (neither waits any more). Each such loss asks for one more read, then is forgotten.
    const again = this.#gapDuringRead || this.#lostNewest > version || this.#lostDelete;
    this.#gapDuringRead = false;
    this.#lostNewest = 0;
    this.#lostDelete = false;
    const waiting = this.#queue;
    this.#drain();
    this.#version = version;
    this.#newest = Math.max(this.#newest, version);
    this.#resync = false;
    for (const { event, bytes } of waiting) this.offer(event, bytes);
    if (again && !this.#resync) {
      this.#drain();
      this.#resync = true;
    }
  }

  /** Events may have been missed without a version jump to show it: read a fresh snapshot before going on. */
  gap(): void {
    if (this.#ended) return;
    // A snapshot being read now may have been read before the gap: read another after it.
    if (this.#resync) this.#gapDuringRead = true;
    this.#resync = true;
    this.#notify();
  }

  /** Ends the watch: with `error` its stream fails at once; without, it ends after the events it holds. */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = { error };
    if (error !== undefined) this.#drain();
    this.#notify();
  }

  /** Ends the watch and gives back everything it holds: its stream is gone. */
  release(): void {
    this.end();
    this.#drain();
  }

  /** The last version this watcher has handed out or queued. */
  get version(): number {
    return this.#version;
  }

  /**
   * The version of the delete a read found: the published delete's when it
   * arrived, else one past the newest version seen (what the delete's own
   * event carries when no write came in between).
   */
  get deletedVersion(): number {
    return this.#deleted ?? this.#newest + 1;
  }

  /** A published delete reached this watcher. */
  get sawDelete(): boolean {
    return this.#deleted !== undefined;
  }

  /** The newest version any offered event or snapshot named (what an `expired` event carries). */
  get newestVersion(): number {
    return this.#newest;
  }

  /** Waits for the next step. */
  async next(): Promise<WatcherStep> {
    for (;;) {
      if (this.#ended?.error !== undefined) throw this.#ended.error;
      if (this.#resync) return { resync: true };
      const head = this.#queue.shift();
      if (head) {
        this.#bytes -= head.bytes;
        this.budget.give(head.bytes);
        return { event: head.event };
      }
      if (this.#ended) return { end: true };
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  #verdict(event: SessionEvent): "keep" | "drop" | "gap" {
    switch (event.kind) {
      case "deleted":
      case "expired":
        return "keep";
      case "touched":
        if (event.version > this.#version) return "gap";
        return event.version === this.#version && this.includeTouches ? "keep" : "drop";
      case "snapshot":
      case "caught_up":
        return "drop";
      default:
        if (event.version <= this.#version) return "drop";
        return event.version === this.#version + 1 ? "keep" : "gap";
    }
  }

  #drain(): void {
    this.budget.give(this.#bytes);
    this.#queue = [];
    this.#bytes = 0;
  }

  #noteLost(event: SessionEvent): void {
    if (event.kind === "deleted") this.#lostDelete = true;
    else if (event.kind !== "expired") this.#lostNewest = Math.max(this.#lostNewest, event.version);
  }

  #note(event: SessionEvent): void {
    if (event.kind === "deleted") this.#deleted = event.version;
    else if (event.kind !== "expired") this.#newest = Math.max(this.#newest, event.version);
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
