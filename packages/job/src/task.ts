import { AssertionFailedError, NilValueError } from './errors.js';
import type { Job } from './job.js';
import { TaskState } from './states.js';

/** The routines of a task; every one is optional. See the contract for when each is called. */
export interface TaskRoutines<V = unknown> {
  /** Once, before the first `run`. */
  init?(task: Task<V>): void | Promise<void>;
  /** The recurrent routine: awaited, then called again until `done()` or the job ends. */
  run?(task: Task<V>): void | Promise<void>;
  /** Once, when the job ends, for every task that was started; in reverse order of adding. */
  finalize?(task: Task<V>): void | Promise<void>;
}

/** Called once, when the task is added, with the job it belongs to. */
export type TaskFactory<V = unknown> = (job: Job<V>) => TaskRoutines<V>;

/** What the job needs from a task and a task from its job; not part of the public surface. */
export interface TaskHost<V> {
  readonly signal: AbortSignal;
  finish(): void;
  /** Cancels the job with `error`, recorded as caused by `task`. */
  _failTask(task: Task<V>, error: unknown): void;
}

const now = (): number => performance.now();

/**
 * One task of a job. The job drives it; the task's routines steer it with `tick`, `done`, `idle`
 * and the assertions.
 */
export class Task<V = unknown> {
  readonly index: number;
  readonly job: Job<V>;
  /** @internal */ readonly _routines: TaskRoutines<V>;
  /** @internal */ readonly _idleTimeout: number | undefined;
  /** @internal */ readonly _oneshot: boolean;
  /** @internal */ _state: TaskState = TaskState.Pending;
  /** @internal the job reached this task's stage and began it: its finalizer is owed. */
  _started = false;
  /** @internal `done()` was called. */
  _doneCalled = false;
  /** @internal the job has counted this task as finished. */
  _counted = false;
  /** @internal `idle()` was called during the current `run`. */
  _idleCalled = false;
  /** @internal consecutive idle runs, for the back-off. */
  _idleStreak = 0;
  /** @internal time of the last progress (performance.now()), kept only with an idle timeout. */
  _lastTick = 0;
  /** @internal the idle-timeout watchdog of this task. */
  _idleTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  #result: unknown;

  /** @internal tasks are made by `job.addTask` / `job.addOneshotTask`. */
  constructor(
    job: Job<V>,
    index: number,
    routines: TaskRoutines<V>,
    idleTimeout: number | undefined,
    oneshot: boolean,
  ) {
    this.job = job;
    this.index = index;
    this._routines = routines;
    this._idleTimeout = idleTimeout;
    this._oneshot = oneshot;
  }

  get state(): TaskState {
    return this._state;
  }

  /** The job's signal: aborted when the job ends. Pass it to every await that can block. */
  get signal(): AbortSignal {
    return this.job.signal;
  }

  /** Whatever the task wants to publish to the others or to the job's owner. */
  get result(): unknown {
    return this.#result;
  }

  set result(value: unknown) {
    this.#result = value;
  }

  /** Progress: resets the idle clock. Cheap enough to call per chunk of I/O. */
  tick(): void {
    this._idleStreak = 0;
    if (this._idleTimeout !== undefined) this._lastTick = now();
  }

  /** The task is finished: `run` is not called again. */
  done(): void {
    this._doneCalled = true;
    if (this._state === TaskState.Running) this._state = TaskState.Finished;
  }

  /** Nothing to do now: `run` is called again after a back-off; the idle clock keeps running. */
  idle(): void {
    this._idleCalled = true;
  }

  /** `done()`, then the job finishes as `'done'`. */
  finishJob(): void {
    this.done();
    (this.job as unknown as TaskHost<V>).finish();
  }

  /** If `err` is neither null nor undefined: cancels the job with it and throws it to unwind. */
  assert(err: unknown): asserts err is null | undefined {
    if (err === null || err === undefined) return;
    this.#fail(err);
  }

  /** If `cond` is falsy: cancels the job with `err` (default `AssertionFailedError`) and throws. */
  assertTrue(cond: unknown, err?: unknown): asserts cond {
    if (cond) return;
    this.#fail(err ?? new AssertionFailedError());
  }

  /** If `value` is null or undefined: cancels the job with a `NilValueError` and throws. */
  assertNotNil<T>(value: T): asserts value is NonNullable<T> {
    if (value !== null && value !== undefined) return;
    this.#fail(new NilValueError());
  }

  #fail(err: unknown): never {
    (this.job as unknown as TaskHost<V>)._failTask(this, err);
    throw err;
  }
}
