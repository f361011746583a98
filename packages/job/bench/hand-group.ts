// The baseline of issue 17: what one writes by hand instead of a job — an AbortController, the
// tasks' promises under Promise.allSettled, the first failure aborting the rest, then the
// finalizers in reverse order (awaited only when one returns a promise, as careful code does).
import { setMaxListeners } from 'node:events';

export interface HandTask {
  run(signal: AbortSignal): void | Promise<void>;
  finalize?(): void | Promise<void>;
}

export interface HandGroup {
  readonly controller: AbortController;
  /** 'done', or 'cancelled' after a failure or an abort; after every finalizer. */
  readonly done: Promise<'done' | 'cancelled'>;
}

export function startGroup(tasks: readonly HandTask[]): HandGroup {
  const controller = new AbortController();
  const signal = controller.signal;
  setMaxListeners(0, signal); // thousands of tasks listen on it
  const fail = (err: unknown): void => {
    if (!signal.aborted) controller.abort(err);
  };
  const runs: Promise<void>[] = new Array(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i] as HandTask;
    // An async wrapper turns a synchronous throw into a rejection; .catch makes it fail fast.
    runs[i] = (async () => task.run(signal))().catch(fail);
  }
  const done = Promise.allSettled(runs).then(async () => {
    const cancelled = signal.aborted;
    if (!cancelled) controller.abort();
    for (let i = tasks.length - 1; i >= 0; i--) {
      try {
        const r = tasks[i]?.finalize?.();
        if (r !== undefined) await r;
      } catch {
        // a throwing finalizer must not stop the others
      }
    }
    return cancelled ? ('cancelled' as const) : ('done' as const);
  });
  return { controller, done };
}
