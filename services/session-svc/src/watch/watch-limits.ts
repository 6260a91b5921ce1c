/** What one process lets its watchers hold (WATCH_* variables; docs/operations.md "WatchSession"). */
export interface WatchLimits {
  /** Watchers at once in this process; one more is refused with RESOURCE_EXHAUSTED (WATCH_MAX_WATCHERS). */
  readonly maxWatchers: number;
  /** Events one watcher may have waiting to be sent; past this it gets a fresh snapshot instead (WATCH_BUFFER_EVENTS). */
  readonly bufferEvents: number;
  /** Bytes of events one watcher may have waiting (as published, JSON); past this, likewise (WATCH_BUFFER_BYTES). */
  readonly bufferBytes: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimits = { maxWatchers: 1000, bufferEvents: 256, bufferBytes: 1024 * 1024 };
