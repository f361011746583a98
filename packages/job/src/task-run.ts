import type { JobRun } from './job-run.js';
import type { Task } from './task.js';
import { type TaskRoutines, TaskState } from './types.js';

/**
 * @internal
 * The run state of one task, private to its job: the public `Task` holds it in a `#` field, so
 * none of it appears in the published types. The stage machine, the run loop and the watchdog
 * read and write it; the task's own methods (`tick`, `done`, `idle`) set their flags here.
 */
export class TaskRun<V> {
  readonly job: JobRun<V>;
  readonly routines: TaskRoutines<V>;
  readonly index: number;
  readonly idleTimeout: number | undefined;
  readonly oneshot: boolean;
  /** The public face, given to the routines. Set once, right after construction. */
  task!: Task<V>;
  state: TaskState = TaskState.Pending;
  /** The job reached this task's stage and began it: its finalizer is owed. */
  started = false;
  /** `done()` was called. */
  doneCalled = false;
  /** The job has counted this task as finished. */
  counted = false;
  /** `idle()` was called during the current `run`. */
  idleCalled = false;
  /** Consecutive idle runs, for the back-off. */
  idleStreak = 0;
  /** Time of the last progress (`performance.now()`), kept only with an idle timeout. */
  lastTick = 0;
  /** The idle-timeout watchdog of this task. */
  idleTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The run loop's state (run-loop.ts): runs since the last slice check, the slice's start. */
  iterations = 0;
  sliceStart = 0;
  /**
   * The loop's continuations, made the first time the task waits (a promise from `run`, a
   * back-off, a yield) and reused for every later wait: no async frame per pending task.
   */
  onSettled: ((value: unknown) => void) | undefined = undefined;
  onFailed: ((err: unknown) => void) | undefined = undefined;
  onPaused: (() => void) | undefined = undefined;

  constructor(
    job: JobRun<V>,
    index: number,
    routines: TaskRoutines<V>,
    idleTimeout: number | undefined,
    oneshot: boolean,
  ) {
    this.job = job;
    this.index = index;
    this.routines = routines;
    this.idleTimeout = idleTimeout;
    this.oneshot = oneshot;
  }

  /** Progress: resets the idle streak and, when watched, the idle clock. */
  tick(): void {
    this.idleStreak = 0;
    if (this.idleTimeout !== undefined) this.lastTick = performance.now();
  }
}
