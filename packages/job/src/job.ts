import { onAbort } from './abort-link.js';
import { deferred } from './deferred.js';
import { JobCancelledError, JobError, JobTimeoutError } from './errors.js';
import { owesFinalizer, runFinalizers } from './finalize.js';
import { JobRun, type Outcome, type RunHooks } from './job-run.js';
import { makeJobSignal } from './job-signal.js';
import { getDefaultLogger } from './logger.js';
import { createTask, type Task } from './task.js';
import { TaskRun } from './task-run.js';
import {
  type AddTaskOptions,
  type Interruption,
  type JobOptions,
  JobState,
  type Logger,
  type TaskFactory,
} from './types.js';

let jobSeq = 0;
/** How a job's run state reports to its `Job` (see `RunHooks`): set once, below. */
let HOOKS: RunHooks<object>;

/**
 * The reason of the signal of a job that ended as `'done'`. One shared instance: a bare
 * `abort()` builds a DOMException with a stack trace per job, measurable on a busy proxy.
 */
/** pino's level check, where the logger has one (the job's `Logger` does not require it). */
type MaybeLevelled = { isLevelEnabled?: (level: string) => boolean };

const DONE_REASON = new DOMException('the job is done', 'AbortError');

function checkMs(name: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new JobError(`${name} must be a finite number >= 0`);
  return ms;
}

/**
 * A set of concurrent tasks that live and die together: the first failure cancels the job, the
 * job's signal aborts, and every started task's finalizer runs, in reverse order of adding.
 * This class is the job's public face and its ending; the stages, the run loop and the
 * watchdogs live in their own modules, over the job's private run state.
 *
 * @example
 * ```ts
 * const job = new Job<Conn>({}, { name: 'conn', timeout: 5000 });
 * job.addOneshotTask(() => new Connect()); // index 0: runs first
 * job.addTask(() => new Reader(), { idleTimeout: 30_000 }); // 1, then 2: run together
 * job.addTask(() => new Writer());
 * const state = await job.run(); // 'done' | 'cancelled', after every finalizer
 * if (state === 'cancelled') console.error(job.interruptedBy?.error);
 * ```
 */
export class Job<V = unknown> {
  readonly #name: string | undefined;
  readonly #seq = ++jobSeq;
  #value: V;
  /**
   * Made on the first read of `signal`: a job nobody listens to (a proxy connection whose tasks
   * wait on socket events) skips the controller and the abort event dispatch at its end.
   */
  #abort: AbortController | undefined;
  /** The reason the signal carries (or will carry, if it is first read later); set at the end. */
  #abortReason: unknown;
  #signalAborted = false;
  /**
   * `run()`'s promise and its resolve function, made when first asked for (`run()`, `done`): a
   * job started with `start()` that nobody awaits makes neither. Two fields rather than a
   * `deferred()` object, and no reject function: the promise never rejects. (Per job of a proxy
   * holding thousands of idle connections: 264 B fewer.)
   */
  #done: Promise<JobState> | undefined = undefined;
  #resolveDone: ((state: JobState) => void) | undefined = undefined;
  readonly #parent: AbortSignal | undefined;
  #unlinkParent: (() => void) | undefined;
  readonly #baseLogger: Logger;
  #log: Logger | undefined;
  #timeoutMs: number | undefined;
  #timeoutTimer: ReturnType<typeof setTimeout> | undefined;
  #interruptedBy: Interruption<V> | undefined;
  #background: ((state: JobState) => void) | undefined;
  readonly #run: JobRun<V>;

  /**
   * @param value the job value, shared by its tasks (`job.value`).
   * @param options `timeout` (ms), parent `signal`, `logger`, `name`: see `JobOptions`.
   */
  constructor(value?: V, options: JobOptions = {}) {
    this.#value = value as V;
    this.#name = options.name;
    this.#parent = options.signal;
    // The default logger in force now, not when the job first logs.
    this.#baseLogger = options.logger ?? getDefaultLogger();
    if (options.timeout !== undefined) this.#timeoutMs = checkMs('timeout', options.timeout);
    this.#run = new JobRun<V>(this, HOOKS);
  }

  /** The job's name: `options.name`, else `job-<n>` (built on first use, not per job). */
  get name(): string {
    return this.#name ?? `job-${this.#seq}`;
  }

  /** The job value, shared by its tasks. */
  get value(): V {
    return this.#value;
  }

  set value(value: V) {
    this.#value = value;
  }

  /** Where the job is in its life-cycle: see `JobState`. */
  get state(): JobState {
    return this.#run.state;
  }

  /** Aborted when the job ends, either way; on cancel, its `reason` is the cancelling error. */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      // Thousands of tasks may listen on the job's signal (contract rule 8): their 'abort'
      // listeners go into a Map (O(1) each, no MaxListeners count), not Node's list (O(n)
      // each); see job-signal.ts.
      makeJobSignal(this.#abort.signal);
      if (this.#signalAborted) this.#abort.abort(this.#abortReason);
    }
    return this.#abort.signal;
  }

  /** What cancelled the job: the failing task (if a task failed) and the error. */
  get interruptedBy(): Interruption<V> | undefined {
    return this.#interruptedBy;
  }

  /** The job's logger: a child of the given (or default) logger, bound to the job's name. */
  get log(): Logger {
    this.#log ??= this.#baseLogger.child({ job: this.name });
    return this.#log;
  }

  /** Resolves when the job has ended and its finalizers have completed, however it was started. */
  get done(): Promise<JobState> {
    if (this.#done === undefined) {
      const state = this.#run.state;
      this.#done =
        state === JobState.Done || state === JobState.Cancelled
          ? Promise.resolve(state)
          : new Promise<JobState>((resolve) => {
              this.#resolveDone = resolve;
            });
    }
    return this.#done;
  }

  /** Adds a recurrent task (indices 1, 2, 3 … in order of adding); `JobError` once started. */
  addTask(factory: TaskFactory<V>, options: AddTaskOptions = {}): Task<V> {
    this.#assertNotStarted('addTask');
    const idle =
      options.idleTimeout === undefined ? undefined : checkMs('idleTimeout', options.idleTimeout);
    const jr = this.#run;
    return this.#add(new TaskRun<V>(jr, jr.recurrent.length + 1, factory(this), idle));
  }

  /** Same as `addTask(factory, { idleTimeout: ms })`. */
  addTaskWithIdleTimeout(factory: TaskFactory<V>, ms: number): Task<V> {
    return this.addTask(factory, { idleTimeout: ms });
  }

  /** Adds the oneshot task, index 0, run before the others; a second one throws `JobError`. */
  addOneshotTask(factory: TaskFactory<V>): Task<V> {
    this.#assertNotStarted('addOneshotTask');
    if (this.#run.oneshot) throw new JobError('a job has at most one oneshot task');
    return this.#add(new TaskRun<V>(this.#run, 0, factory(this)));
  }

  /** The task of that index (0: the oneshot), or `undefined`. */
  getTaskByIndex(index: number): Task<V> | undefined {
    const run = index === 0 ? this.#run.oneshot : this.#run.recurrent[index - 1];
    return run?.task;
  }

  /** Sets the job timeout (ms), before the job starts. */
  withTimeout(ms: number): this {
    this.#assertNotStarted('withTimeout');
    this.#timeoutMs = checkMs('timeout', ms);
    return this;
  }

  /** Starts the job; resolves with `'done'` or `'cancelled'` after the finalizers. Never rejects. */
  run(): Promise<JobState> {
    this.start();
    return this.done;
  }

  /**
   * Starts the job as `run()` does, without making its promise: for an owner that learns of the
   * end some other way (a finalizer) — a proxy starts one job per connection and awaits none.
   * `done` still gives the promise. Calling it on a started job does nothing.
   */
  start(): void {
    const jr = this.#run;
    if (jr.started || jr.ending) return;
    jr.started = true;
    const parent = this.#parent;
    if (parent) {
      if (parent.aborted) {
        this.#end(JobState.Cancelled, parent.reason);
        return;
      }
      // Made here, only for a job that has a parent: a listener field per job cost every job a
      // closure and its context.
      this.#unlinkParent = onAbort(parent, () => this.#end(JobState.Cancelled, parent.reason));
    }
    if (this.#timeoutMs !== undefined) {
      this.#timeoutTimer = setTimeout(Job.#onTimeout, this.#timeoutMs, this);
    }
    jr.start();
  }

  /**
   * Starts the job and resolves once the oneshot task has finished and the recurrent tasks have
   * started (`'recurrent-running'`), or the job has ended. Needs a oneshot task.
   */
  runInBackground(): Promise<JobState> {
    if (!this.#run.oneshot) {
      return Promise.reject(new JobError('runInBackground() needs a oneshot task'));
    }
    const state = this.#run.state;
    if (state === JobState.RecurrentRunning) return Promise.resolve(state);
    if (state !== JobState.New && state !== JobState.OneshotRunning) {
      return this.done; // ended or finalizing
    }
    const { promise, resolve } = deferred<JobState>();
    const previous = this.#background;
    this.#background = (s) => {
      previous?.(s);
      resolve(s);
    };
    this.start();
    return promise;
  }

  /** Ends the job as `'cancelled'`; `reason` defaults to a `JobCancelledError`. */
  cancel(reason?: unknown): void {
    this.#end(JobState.Cancelled, reason ?? new JobCancelledError());
  }

  /** Ends the job as `'done'`. */
  finish(): void {
    this.#end(JobState.Done);
  }

  /** `await using job = …` (down-levelled): cancels the job and waits for its finalizers. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.cancel();
    await this.done;
  }

  static {
    HOOKS = {
      end: (job: Job, outcome, error, run) =>
        job.#end(outcome, error, run?.task as Task | undefined),
      recurrentStarted: (job: Job) => job.#notifyBackground(JobState.RecurrentRunning),
      log: (job: Job) => job.log,
    } satisfies RunHooks<Job> as unknown as RunHooks<object>;
  }

  #add(run: TaskRun<V>): Task<V> {
    const task = createTask(run);
    run.task = task;
    if (run.oneshot) this.#run.oneshot = run;
    else this.#run.recurrent.push(run);
    this.#run.added.push(run);
    return task;
  }

  /** The job timeout's callback: one function for every job, the job passed as its argument. */
  static #onTimeout(job: Job<unknown>): void {
    job.#timeoutTimer = undefined;
    job.#end(JobState.Cancelled, new JobTimeoutError(job.#timeoutMs as number));
  }

  /** The first of cancel/finish/failure/timeout ends the job; later ones do nothing. */
  #end(outcome: Outcome, error?: unknown, task?: Task<V>): void {
    const jr = this.#run;
    if (jr.ending) return;
    jr.ending = true;
    if (outcome === JobState.Cancelled) {
      this.#interruptedBy = task ? { task, error } : { error };
      // Most cancellations are routine (a peer went away): no child logger is made for a record
      // the level would drop (pino's isLevelEnabled; a logger without it is always asked).
      if ((this.#baseLogger as MaybeLevelled).isLevelEnabled?.('debug') !== false) {
        this.log.debug({ err: error, task: task?.index }, 'job cancelled');
      }
    }
    this.#releaseResources();
    if (!owesFinalizer(jr.added)) {
      // Nothing to clean up (never ran, no tasks, or no finalize routines): ended at once.
      jr.state = outcome;
      this.#abortSignal(outcome, error);
      this.#settle(outcome);
      return;
    }
    jr.state = JobState.Finalizing;
    this.#abortSignal(outcome, error);
    void runFinalizers(jr.added, () => this.log).then(() => this.#settle(outcome));
  }

  #settle(outcome: JobState): void {
    this.#run.state = outcome;
    this.#notifyBackground(outcome);
    this.#resolveDone?.(outcome);
  }

  #abortSignal(outcome: JobState, error: unknown): void {
    // Listeners on the signal are user code: one that throws must not stop the job's ending.
    try {
      this.#abortReason = outcome === JobState.Cancelled ? error : DONE_REASON;
      this.#signalAborted = true;
      this.#abort?.abort(this.#abortReason);
    } catch (err) {
      this.log.error({ err }, 'an abort listener of the job signal threw');
    }
  }

  /** Clears every timer and listener the job owns, so an ended job leaves nothing behind. */
  #releaseResources(): void {
    if (this.#timeoutTimer !== undefined) {
      clearTimeout(this.#timeoutTimer);
      this.#timeoutTimer = undefined;
    }
    this.#unlinkParent?.();
    this.#unlinkParent = undefined;
    this.#run.release();
  }

  #notifyBackground(state: JobState): void {
    const notify = this.#background;
    if (notify === undefined) return;
    this.#background = undefined;
    notify(state);
  }

  #assertNotStarted(what: string): void {
    const jr = this.#run;
    if (jr.started || jr.ending) throw new JobError(`${what}() after the job has started`);
  }
}
