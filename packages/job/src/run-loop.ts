import { isPromiseLike } from './deferred.js';
import type { JobRun } from './job-run.js';
import type { TaskRun } from './task-run.js';
import type { TaskRoutines } from './types.js';

/**
 * The run loop (contract rule 2): `run` is awaited, then called again until the task calls
 * `done()` or the job ends. A `run` that never awaits still lets timers and I/O through; one
 * that keeps calling `idle()` is re-run with a back-off and does not hold a core busy.
 */

type RunRoutine<V> = NonNullable<TaskRoutines<V>['run']>;

/**
 * A loop that never really awaits yields to the event loop (timers, I/O) once per this many ms,
 * checked every `SLICE_CHECK_EVERY` iterations so a busy loop pays for a clock read rarely.
 */
const SLICE_MS = 1;
const SLICE_CHECK_EVERY = 32;
/** Idle back-off: the first runs after `idle()` yield to the event loop, then sleep 1, 2, 4 … ms. */
const IDLE_IMMEDIATE_RUNS = 3;
const IDLE_MAX_SLEEP_MS = 32;

/**
 * Starts the run loop of a task. The first `run` is called synchronously: a task that finishes
 * in it (the common trivial case) never pays for an async loop frame.
 */
export function startLoop<V>(job: JobRun<V>, run: TaskRun<V>, routine: RunRoutine<V>): void {
  run.started = true;
  run.idleCalled = false;
  let first: unknown;
  try {
    first = routine.call(run.routines, run.task);
  } catch (err) {
    job.afterError(run, err);
    return;
  }
  if (!isPromiseLike(first) && run.doneCalled) job.taskFinished(run);
  else void loop(job, run, routine, first);
}

/** The rest of the run loop: `first` is the result of the call `startLoop` made. */
async function loop<V>(
  job: JobRun<V>,
  run: TaskRun<V>,
  routine: RunRoutine<V>,
  first: unknown,
): Promise<void> {
  const routines = run.routines;
  const task = run.task;
  const watched = run.idleTimeout !== undefined;
  let sliceStart = 0; // read lazily: most loops finish or block long before the first slice
  let iterations = 0;
  let r = first;
  try {
    for (;;) {
      if (isPromiseLike(r)) await r;
      if (run.doneCalled) break;
      if (job.ending) return;
      if (run.idleCalled) {
        await idleBackoff(job, run);
        if (job.ending) return;
        sliceStart = 0;
      } else {
        // Returning without done()/idle() is progress.
        run.idleStreak = 0;
        if (watched) run.lastTick = performance.now();
        // A run that never truly waits must still let timers and I/O through.
        if (++iterations % SLICE_CHECK_EVERY === 0) {
          const t = performance.now();
          if (sliceStart === 0) sliceStart = t;
          else if (t - sliceStart >= SLICE_MS) {
            await job.pause(0);
            if (job.ending) return;
            sliceStart = 0;
          }
        }
      }
      run.idleCalled = false;
      r = routine.call(routines, task);
    }
  } catch (err) {
    job.afterError(run, err);
    return;
  }
  job.taskFinished(run);
}

/** After `idle()`: yield a few times, then sleep with a doubling back-off (no busy core). */
function idleBackoff<V>(job: JobRun<V>, run: TaskRun<V>): Promise<void> {
  const streak = run.idleStreak++;
  if (streak < IDLE_IMMEDIATE_RUNS) return job.pause(0);
  return job.pause(Math.min(2 ** (streak - IDLE_IMMEDIATE_RUNS), IDLE_MAX_SLEEP_MS));
}
