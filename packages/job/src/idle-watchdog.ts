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
  const limit = run.idleTimeout as number;
  run.lastTick = performance.now();
  const check = (): void => {
    run.idleTimer = undefined;
    if (job.ending || run.state !== TaskState.Running) return;
    const idleFor = performance.now() - run.lastTick;
    if (idleFor >= limit) {
      job.fail(run, new TaskIdleTimeoutError(run.index, limit));
    } else {
      run.idleTimer = setTimeout(check, Math.max(1, Math.ceil(limit - idleFor)));
    }
  };
  run.idleTimer = setTimeout(check, Math.max(1, limit));
}

/** Clears the task's watchdog, if armed: a finished task or an ended job leaves no timer. */
export function disarmIdleWatchdog<V>(run: TaskRun<V>): void {
  if (run.idleTimer !== undefined) {
    clearTimeout(run.idleTimer);
    run.idleTimer = undefined;
  }
}
