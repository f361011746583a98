import { TaskIdleTimeoutError } from './errors.js';
import type { JobRun } from './job-run.js';
import type { TaskRun } from './task-run.js';
import { TaskState } from './types.js';

/**
 * The idle timeout (contract rule 4): a task that makes no progress for `idleTimeout` ms —
 * idling or blocked in an await — cancels the job with `TaskIdleTimeoutError`. One lazy timer
 * per watched task: a tick only records the time, and the timer, when it fires early, re-arms
 * for the remainder, instead of a timer reset per tick.
 */
export function armIdleWatchdog<V>(job: JobRun<V>, run: TaskRun<V>): void {
  const watch = run.watch as NonNullable<TaskRun<V>['watch']>;
  const limit = watch.limit;
  watch.lastTick = performance.now();
  const check = (): void => {
    watch.timer = undefined;
    if (job.ending || run.state !== TaskState.Running) return;
    const idleFor = performance.now() - watch.lastTick;
    if (idleFor >= limit) {
      job.fail(run, new TaskIdleTimeoutError(run.index, limit));
    } else {
      watch.timer = setTimeout(check, Math.max(1, Math.ceil(limit - idleFor)));
    }
  };
  watch.timer = setTimeout(check, Math.max(1, limit));
}

/** Clears the task's watchdog, if armed: a finished task or an ended job leaves no timer. */
export function disarmIdleWatchdog<V>(run: TaskRun<V>): void {
  const watch = run.watch;
  if (watch?.timer !== undefined) {
    clearTimeout(watch.timer);
    watch.timer = undefined;
  }
}
