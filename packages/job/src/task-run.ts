import type { JobRun } from './job-run.js';
import type { Task } from './task.js';
import { type TaskRoutines, TaskState } from './types.js';

/** @internal A watched task's idle clock: made only for a task added with an idle timeout. */
interface IdleWatch {
  readonly limit: number;
  /** Time of the last progress (`performance.now()`). */
  lastTick: number;
  /** The idle-timeout watchdog of this task. */
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * @internal
 * The run state of one task, private to its job: the public `Task` holds it in a `#` field, so
 * none of it appears in the published types. The stage machine, the run loop and the watchdog
 * read and write it; the task's own methods (`tick`, `done`, `idle`) set their flags here.
 *
 * Kept small, because a job can hold many tasks for a long time (a proxy: two per connection,
 * thousands of idle connections): the idle clock lives in its own object, made only with an idle
 * timeout, and `oneshot` is `index === 0`: 16 fields instead of 19, 152 B instead of 176 (heap
 * snapshot, Node 20). The booleans stay plain fields: packed into one number behind accessors
 * they saved 24 B more but made the run loop 5–15 % slower per run (bench/tick-loop.ts).
 */
export class TaskRun<V> {
  readonly job: JobRun<V>;
  readonly routines: TaskRoutines<V>;
  readonly index: number;
  readonly watch: IdleWatch | undefined;
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

  constructor(job: JobRun<V>, index: number, routines: TaskRoutines<V>, idleTimeout?: number) {
    this.job = job;
    this.index = index;
    this.routines = routines;
    this.watch =
      idleTimeout === undefined ? undefined : { limit: idleTimeout, lastTick: 0, timer: undefined };
  }

  /** The oneshot task (index 0), run before the others. */
  get oneshot(): boolean {
    return this.index === 0;
  }

  /** The idle timeout (ms), if the task has one. */
  get idleTimeout(): number | undefined {
    return this.watch?.limit;
  }

  /** Progress: resets the idle streak and, when watched, the idle clock. */
  tick(): void {
    this.idleStreak = 0;
    const watch = this.watch;
    if (watch !== undefined) watch.lastTick = performance.now();
  }
}
