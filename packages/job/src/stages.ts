import { isPromiseLike } from './deferred.js';
import { armIdleWatchdog } from './idle-watchdog.js';
import type { JobRun } from './job-run.js';
import { startLoop } from './run-loop.js';
import type { TaskRun } from './task-run.js';
import { JobState, type TaskRoutines, TaskState } from './types.js';

/**
 * The stage machine (contract rule 1): the oneshot task first; when it is done, every recurrent
 * task's `init`, then all their run loops together. A failure anywhere ends the job, and nothing
 * of a later stage starts.
 */

/**
 * The oneshot task: its init, then its run loop (like any task's, until `done()`). A `then` on
 * the init's promise rather than an async function: no async frame and promise per job (a proxy
 * runs one job per connection; 466 B of allocation per connection in the sampling profile).
 */
export function startOneshot<V>(job: JobRun<V>, run: TaskRun<V>): void {
  run.started = true; // its init or run starts right now
  run.state = TaskState.Running;
  const init = run.routines.init;
  if (init === undefined) oneshotInitCompleted(job, run);
  else callInit(job, run, init, oneshotInitCompleted, afterError);
}

function oneshotInitCompleted<V>(job: JobRun<V>, run: TaskRun<V>): void {
  if (run.routines.run === undefined || run.doneCalled) job.taskFinished(run);
  else if (!job.ending) startLoop(job, run);
}

type Step = <V>(job: JobRun<V>, run: TaskRun<V>) => void;
type Failure = <V>(job: JobRun<V>, run: TaskRun<V>, err: unknown) => void;

const afterError: Failure = (job, run, err) => job.afterError(run, err);
const failTask: Failure = (job, run, err) => job.fail(run, err);

/**
 * Calls `init`; `completed` follows at once, or when its promise fulfils. A throw, a rejection,
 * or a home-made thenable whose `then` throws goes to `failed`, as with `await`.
 */
function callInit<V>(
  job: JobRun<V>,
  run: TaskRun<V>,
  init: NonNullable<TaskRoutines<V>['init']>,
  completed: Step,
  failed: Failure,
): void {
  try {
    const r = init.call(run.routines, run.task);
    if (isPromiseLike(r)) {
      r.then(
        () => completed(job, run),
        (err: unknown) => failed(job, run, err),
      );
      return;
    }
  } catch (err) {
    failed(job, run, err);
    return;
  }
  completed(job, run);
}

/** The recurrent stage: every `init` (synchronous ones inline), then `allInitsCompleted`. */
export function startRecurrent<V>(job: JobRun<V>): void {
  job.state = JobState.RecurrentRunning;
  job.recurrentStarted();
  const runs = job.recurrent;
  job.pendingInits = runs.length + 1; // +1: the loop below holds the stage open
  for (const run of runs) {
    if (job.ending) return;
    run.state = TaskState.Running;
    if (run.idleTimeout !== undefined) armIdleWatchdog(job, run);
    const init = run.routines.init;
    // The finalizer is owed once init starts, or run when there is no init (rule 7).
    run.started = init !== undefined || run.routines.run === undefined;
    // A failing init ends the job: the next turn of the loop stops, and the stage never opens.
    if (init === undefined) initCompleted(job, run);
    else callInit(job, run, init, initCompleted, failTask);
  }
  allInitsCompleted(job);
}

/** A task without `run` (or that called `done()` in `init`) is finished when its init is. */
function initCompleted<V>(job: JobRun<V>, run: TaskRun<V>): void {
  if (run.routines.run === undefined || run.doneCalled) job.taskFinished(run);
  allInitsCompleted(job);
}

/** Counts down the inits; the last one starts every run loop together. */
function allInitsCompleted<V>(job: JobRun<V>): void {
  if (--job.pendingInits !== 0 || job.ending) return;
  for (const run of job.recurrent) {
    if (job.ending) return;
    if (run.routines.run !== undefined && !run.counted) startLoop(job, run);
  }
}
