import { AssertionFailedError, NilValueError } from './errors.js';
import type { Job } from './job.js';
import type { TaskRun } from './task-run.js';
import { TaskState } from './types.js';

let makeTask: <V>(run: TaskRun<V>) => Task<V>;

/**
 * One task of a job, as its routines see it. The job drives it; the routines steer it with
 * `tick`, `done`, `idle`, `finishJob` and the assertions. Made by `job.addTask` and
 * `job.addOneshotTask`, never with `new`.
 *
 * @example
 * ```ts
 * job.addTask(() => ({
 *   async run(task: Task<Conn>) {
 *     const line = await lines.receive(task.signal); // pass the signal to every blocking await
 *     task.assertTrue(line.length < 1024, new Error('line too long')); // cancels the job if not
 *     if (line === 'QUIT') return task.finishJob(); // done, and so is the whole job
 *     task.tick(); // progress
 *   },
 * }));
 * ```
 */
export class Task<V = unknown> {
  // Two fields: `index` and `job` are read through the run state rather than copied into every
  // task (a proxy holds two tasks per idle connection).
  readonly #run: TaskRun<V>;
  #result: unknown;

  static {
    makeTask = (run) => new Task(run);
  }

  private constructor(run: TaskRun<V>) {
    this.#run = run;
  }

  /** 0 for the oneshot task; 1, 2, 3 … for the recurrent ones, in order of adding. */
  get index(): number {
    return this.#run.index;
  }

  /** The job this task belongs to. */
  get job(): Job<V> {
    return this.#run.job.owner as Job<V>;
  }

  /** `pending` → `running` → `finished` | `failed`. */
  get state(): TaskState {
    return this.#run.state;
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
    this.#run.tick();
  }

  /** The task is finished: `run` is not called again. */
  done(): void {
    const run = this.#run;
    run.doneCalled = true;
    if (run.state === TaskState.Running) run.state = TaskState.Finished;
  }

  /** Nothing to do now: `run` is called again after a back-off; the idle clock keeps running. */
  idle(): void {
    this.#run.idleCalled = true;
  }

  /** `done()`, then the job finishes as `'done'`. */
  finishJob(): void {
    this.done();
    this.job.finish();
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
    this.#run.job.fail(this.#run, err);
    throw err;
  }
}

/** @internal The job's way to make the public face of a task run. */
export function createTask<V>(run: TaskRun<V>): Task<V> {
  return makeTask(run);
}
