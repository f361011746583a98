/** A pending wait the job can cut short: its timer (or immediate) is cleared, its waiter woken. */
export interface Pause {
  wakeNow(): void;
}

/**
 * Calls `wake` after `ms`, or on the next turn of the event loop when `ms` is 0 (`setImmediate`:
 * after pending I/O and timers, unlike a microtask, so a loop that never awaits lets them run).
 */
export function startPause(ms: number, wake: () => void): Pause {
  if (ms <= 0) {
    const immediate = setImmediate(wake);
    return {
      wakeNow() {
        clearImmediate(immediate);
        wake();
      },
    };
  }
  const timer = setTimeout(wake, ms);
  return {
    wakeNow() {
      clearTimeout(timer);
      wake();
    },
  };
}
