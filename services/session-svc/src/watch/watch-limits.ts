/** What one process lets its watchers hold (WATCH_* variables; docs/operations.md "WatchSession"). */
export interface WatchLimits {
  /** Watchers at once in this process; one more is refused with RESOURCE_EXHAUSTED (WATCH_MAX_WATCHERS). */
  readonly maxWatchers: number;
  /** Watchers at once of one caller (its identity, else its address); one more is refused likewise (WATCH_MAX_WATCHERS_PER_CALLER). */
  readonly maxWatchersPerCaller: number;
  /** Events one watcher may have waiting to be sent; past this it gets a fresh snapshot instead (WATCH_BUFFER_EVENTS). */
  readonly bufferEvents: number;
  /** UTF-8 bytes of events one watcher may have waiting (as published, JSON); past this, likewise (WATCH_BUFFER_BYTES). */
  readonly bufferBytes: number;
  /** UTF-8 bytes of events all watchers of the process may have waiting; a watcher that would pass it, likewise (WATCH_BUFFER_BUDGET_BYTES). */
  readonly bufferBudgetBytes: number;
}

export const DEFAULT_WATCH_LIMITS: WatchLimits = {
  maxWatchers: 1000,
  maxWatchersPerCaller: 250,
  bufferEvents: 256,
  bufferBytes: 1024 * 1024,
  bufferBudgetBytes: 64 * 1024 * 1024,
};
