import { isPromiseLike } from './deferred.js';
import type { TaskRun } from './task-run.js';
import type { Logger } from './types.js';

/**
 * Finalization (contract rule 7): `finalize` once for every task whose `init` (or `run`, without
 * `init`) was started, in reverse order of adding, awaited one at a time. A finalizer that throws
 * is logged and the others still run.
 */

/** Whether any started task has a finalizer: a job that owes none ends without a `finalizing` stage. */
export function owesFinalizer<V>(runs: readonly TaskRun<V>[]): boolean {
  for (const run of runs) {
    if (run.started && run.routines.finalize !== undefined) return true;
  }
  return false;
}

/**
 * Runs the owed finalizers, last added first. Never rejects. `log` is asked for only when a
 * finalizer throws: the job's child logger is made on first use, and most jobs never need it.
 */
export async function runFinalizers<V>(
  runs: readonly TaskRun<V>[],
  log: () => Logger,
): Promise<void> {
  // Let the code that ended the job (often a task's own run) unwind before cleanup starts.
  await undefined;
  for (let i = runs.length - 1; i >= 0; i--) {
    const run = runs[i] as TaskRun<V>;
    const finalize = run.routines.finalize;
    if (!run.started || finalize === undefined) continue;
    try {
      const r = finalize.call(run.routines, run.task);
      if (isPromiseLike(r)) await r;
    } catch (err) {
      log().error({ err, task: run.index }, 'task finalizer failed');
    }
  }
}
