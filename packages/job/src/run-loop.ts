import { isPromiseLike } from './deferred.js';
import type { JobRun } from './job-run.js';
import type { TaskRun } from './task-run.js';

/**
 * The run loop (contract rule 2): `run` is awaited, then called again until the task calls
 * `done()` or the job ends. A `run` that never awaits still lets timers and I/O through; one
 * that keeps calling `idle()` is re-run with a back-off and does not hold a core busy.
 *
 * Written as continuations rather than an `async` function: a run that returns without a
 * promise is called again in a plain loop (no microtask per call), and a task blocked in its
 * `run` holds one `then` reaction instead of a suspended async frame — less heap per pending
 * task, and a rejection reaches the job without being re-thrown through a frame.
 */

/**
 * A loop that never really waits yields to the event loop (timers, I/O) once per this many ms,
 * checked every `SLICE_CHECK_EVERY` runs so a busy loop pays for a clock read rarely. A run
 * that returns an already-settled promise counts as not waiting: only a microtask passes.
 */
const SLICE_MS = 1;
const SLICE_CHECK_EVERY = 32;
/** Idle back-off: the first runs after `idle()` yield to the event loop, then sleep 1, 2, 4 … ms. */
const IDLE_IMMEDIATE_RUNS = 3;
const IDLE_MAX_SLEEP_MS = 32;

/** Starts the run loop of a task: the first `run` is called synchronously. */
export function startLoop<V>(job: JobRun<V>, run: TaskRun<V>): void {
  run.started = true;
  callRun(job, run);
}

/** Calls `run` once; a synchronous return goes on in `afterRun`, a promise when it settles. */
function callRun<V>(job: JobRun<V>, run: TaskRun<V>): void {
  run.idleCalled = false;
  let r: unknown;
  try {
    r = (run.routines.run as NonNullable<typeof run.routines.run>).call(run.routines, run.task);
  } catch (err) {
    job.afterError(run, err);
    return;
  }
  if (isPromiseLike(r)) awaitRun(job, run, r);
  else afterRun(job, run);
}

function awaitRun<V>(job: JobRun<V>, run: TaskRun<V>, r: PromiseLike<unknown>): void {
  if (run.onSettled === undefined) {
    run.onSettled = () => afterRun(job, run);
    run.onFailed = (err) => job.afterError(run, err);
  }
  try {
    r.then(run.onSettled, run.onFailed);
  } catch (err) {
    // A home-made thenable whose `then` throws: as `await` would, treat it as a rejection.
    job.afterError(run, err);
  }
}

/** After a `run` has completed: finish, stop, back off, yield, or call it again. */
function afterRun<V>(job: JobRun<V>, run: TaskRun<V>): void {
  for (;;) {
    if (run.doneCalled) {
      job.taskFinished(run);
      return;
    }
    if (job.ending) return;
    if (run.idleCalled) {
      pause(job, run, idleDelay(run));
      return;
    }
    // Returning without done()/idle() is progress.
    run.idleStreak = 0;
    if (run.watch !== undefined) run.watch.lastTick = performance.now();
    if (++run.iterations % SLICE_CHECK_EVERY === 0 && sliceSpent(run)) {
      pause(job, run, 0);
      return;
    }
    run.idleCalled = false;
    let r: unknown;
    try {
      r = (run.routines.run as NonNullable<typeof run.routines.run>).call(run.routines, run.task);
    } catch (err) {
      job.afterError(run, err);
      return;
    }
    if (isPromiseLike(r)) {
      awaitRun(job, run, r);
      return;
    }
  }
}

/** Whether the current slice (started at the first check, read lazily) has lasted `SLICE_MS`. */
function sliceSpent<V>(run: TaskRun<V>): boolean {
  const t = performance.now();
  if (run.sliceStart === 0) {
    run.sliceStart = t;
    return false;
  }
  return t - run.sliceStart >= SLICE_MS;
}

/** After `idle()`: yield a few times, then sleep with a doubling back-off (no busy core). */
function idleDelay<V>(run: TaskRun<V>): number {
  const streak = run.idleStreak++;
  if (streak < IDLE_IMMEDIATE_RUNS) return 0;
  return Math.min(2 ** (streak - IDLE_IMMEDIATE_RUNS), IDLE_MAX_SLEEP_MS);
}

/** Waits `ms` (0: the next turn of the event loop), then calls `run` again unless the job ended. */
function pause<V>(job: JobRun<V>, run: TaskRun<V>, ms: number): void {
  run.onPaused ??= () => {
    if (job.ending) return;
    run.sliceStart = 0;
    callRun(job, run);
  };
  job.pause(ms).then(run.onPaused);
}
