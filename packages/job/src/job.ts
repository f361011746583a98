import { setMaxListeners } from 'node:events';
import { onAbort } from './abort-link.js';
import { deferred, isPromiseLike } from './deferred.js';
import { JobCancelledError, JobError, JobTimeoutError, TaskIdleTimeoutError } from './errors.js';
import { getDefaultLogger, type Logger } from './logger.js';
import { type Pause, startPause } from './pause.js';
import { JobState, TaskState } from './states.js';
import { Task, type TaskFactory, type TaskRoutines } from './task.js';

export interface JobOptions {
  /** ms; the job is cancelled with `JobTimeoutError` when it runs longer. */
  timeout?: number;
  /** Parent: when it aborts, the job is cancelled with its reason. */
  signal?: AbortSignal;
  /** pino-compatible; default: the one set by `setDefaultLogger`, else silent. */
  logger?: Logger;
  name?: string;
}

export interface AddTaskOptions {
  /** ms without progress (a tick) after which the job is cancelled with `TaskIdleTimeoutError`. */
  idleTimeout?: number;
}

export interface Interruption<V> {
  /** The failing task; absent for `cancel()`, the job timeout and parent aborts. */
  task?: Task<V>;
  error: unknown;
}

/**
 * A loop that never really awaits yields to the event loop (timers, I/O) once per this many ms,
 * checked every `SLICE_CHECK_EVERY` iterations so a busy loop pays for a clock read rarely.
 */
const SLICE_MS = 1;
const SLICE_CHECK_EVERY = 32;
/** Idle back-off: the first runs after `idle()` yield to the event loop, then sleep 1, 2, 4 … ms. */
const IDLE_IMMEDIATE_RUNS = 3;
const IDLE_MAX_SLEEP_MS = 32;

let jobSeq = 0;

/**
 * The reason of the signal of a job that ended as `'done'`. One shared instance: a bare
 * `abort()` builds a DOMException with a stack trace per job, measurable on a busy proxy.
 */
const DONE_REASON = new DOMException('the job is done', 'AbortError');

type RunRoutine<V> = NonNullable<TaskRoutines<V>['run']>;

function checkMs(name: string, ms: number): number {
  if (!Number.isFinite(ms) || ms < 0) throw new JobError(`${name} must be a finite number >= 0`);
  return ms;
}

/**
 * A set of concurrent tasks that live and die together: the first failure cancels the job, the
 * job's signal aborts, and every started task's finalizer runs, in reverse order of adding.
 */
export class Job<V = unknown> {
  readonly #name: string | undefined;
  readonly #seq = ++jobSeq;
  #value: V;
  #state: JobState = JobState.New;
  /**
   * Made on the first read of `signal`: a job nobody listens to (a proxy connection whose tasks
   * wait on socket events) skips the controller and the abort event dispatch at its end.
   */
  #abort: AbortController | undefined;
  /** The reason the signal carries (or will carry, if it is first read later); set at the end. */
  #abortReason: unknown;
  #signalAborted = false;
  readonly #done = deferred<JobState>();
  readonly #parent: AbortSignal | undefined;
  #unlinkParent: (() => void) | undefined;
  readonly #baseLogger: Logger;
  #log: Logger | undefined;
  #timeoutMs: number | undefined;
  #timeoutTimer: ReturnType<typeof setTimeout> | undefined;
  #oneshot: Task<V> | undefined;
  readonly #recurrent: Task<V>[] = [];
  /** Every task in order of adding (the oneshot where it was added): finalizers go backwards. */
  readonly #added: Task<V>[] = [];
  #started = false;
  /** Set by the first of cancel/finish/failure/timeout: everything after it does nothing. */
  #ending = false;
  #interruptedBy: Interruption<V> | undefined;
  /** Tasks not yet finished; the job is done when it reaches 0. */
  #unfinished = 0;
  /** Recurrent inits still running; the run loops start together when it reaches 0. */
  #pendingInits = 0;
  #background: ((state: JobState) => void) | undefined;
  /** Pauses in progress (yields and back-off sleeps): the end of the job clears and wakes them. */
  #pauses: Set<Pause> | undefined;

  constructor(value?: V, options: JobOptions = {}) {
    this.#value = value as V;
    this.#name = options.name;
    this.#parent = options.signal;
    // The default logger in force now, not when the job first logs.
    this.#baseLogger = options.logger ?? getDefaultLogger();
    if (options.timeout !== undefined) this.#timeoutMs = checkMs('timeout', options.timeout);
  }

  /** The job's name: `options.name`, else `job-<n>` (built on first use, not per job). */
  get name(): string {
    return this.#name ?? `job-${this.#seq}`;
  }

  get value(): V {
    return this.#value;
  }

  set value(value: V) {
    this.#value = value;
  }

  get state(): JobState {
    return this.#state;
  }

  /** Aborted when the job ends, either way; on cancel, its `reason` is the cancelling error. */
  get signal(): AbortSignal {
    if (this.#abort === undefined) {
      this.#abort = new AbortController();
      // Thousands of tasks may listen on the job's signal (contract rule 8).
      setMaxListeners(0, this.#abort.signal);
      if (this.#signalAborted) this.#abort.abort(this.#abortReason);
    }
    return this.#abort.signal;
  }

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
    return this.#done.promise;
  }

  addTask(factory: TaskFactory<V>, options: AddTaskOptions = {}): Task<V> {
    this.#assertNotStarted('addTask');
    const idle =
      options.idleTimeout === undefined ? undefined : checkMs('idleTimeout', options.idleTimeout);
    const task = new Task<V>(this, this.#recurrent.length + 1, factory(this), idle, false);
    this.#recurrent.push(task);
    this.#added.push(task);
    return task;
  }

  addTaskWithIdleTimeout(factory: TaskFactory<V>, ms: number): Task<V> {
    return this.addTask(factory, { idleTimeout: ms });
  }

  addOneshotTask(factory: TaskFactory<V>): Task<V> {
    this.#assertNotStarted('addOneshotTask');
    if (this.#oneshot) throw new JobError('a job has at most one oneshot task');
    const task = new Task<V>(this, 0, factory(this), undefined, true);
    this.#oneshot = task;
    this.#added.push(task);
    return task;
  }

  getTaskByIndex(index: number): Task<V> | undefined {
    return index === 0 ? this.#oneshot : this.#recurrent[index - 1];
  }

  withTimeout(ms: number): this {
    this.#assertNotStarted('withTimeout');
    this.#timeoutMs = checkMs('timeout', ms);
    return this;
  }

  /** Starts the job; resolves with `'done'` or `'cancelled'` after the finalizers. Never rejects. */
  run(): Promise<JobState> {
    if (this.#started || this.#ending) return this.#done.promise;
    this.#started = true;
    const parent = this.#parent;
    if (parent) {
      if (parent.aborted) {
        this.#end(JobState.Cancelled, parent.reason);
        return this.#done.promise;
      }
      this.#unlinkParent = onAbort(parent, this.#onParentAbort);
    }
    if (this.#timeoutMs !== undefined) {
      this.#timeoutTimer = setTimeout(this.#onTimeout, this.#timeoutMs);
    }
    this.#unfinished = this.#added.length;
    if (this.#unfinished === 0) {
      this.#end(JobState.Done);
    } else if (this.#oneshot) {
      this.#state = JobState.OneshotRunning;
      this.#startOneshot(this.#oneshot);
    } else {
      this.#startRecurrent();
    }
    return this.#done.promise;
  }

  /**
   * Starts the job and resolves once the oneshot task has finished and the recurrent tasks have
   * started (`'recurrent-running'`), or the job has ended. Needs a oneshot task.
   */
  runInBackground(): Promise<JobState> {
    if (!this.#oneshot) {
      return Promise.reject(new JobError('runInBackground() needs a oneshot task'));
    }
    if (this.#state === JobState.RecurrentRunning) return Promise.resolve(this.#state);
    if (this.#state !== JobState.New && this.#state !== JobState.OneshotRunning) {
      return this.#done.promise; // ended or finalizing
    }
    const { promise, resolve } = deferred<JobState>();
    const previous = this.#background;
    this.#background = (state) => {
      previous?.(state);
      resolve(state);
    };
    this.run();
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
    await this.#done.promise;
  }

  /** @internal a task failed (threw, rejected, or failed an assertion). */
  _failTask(task: Task<V>, error: unknown): void {
    if (this.#ending) return;
    task._state = TaskState.Failed;
    this.#end(JobState.Cancelled, error, task);
  }

  // ───────────────────────────── stages ─────────────────────────────

  #startOneshot(task: Task<V>): void {
    task._started = true; // its init or run starts right now
    task._state = TaskState.Running;
    void this.#driveOneshot(task);
  }

  #startRecurrent(): void {
    this.#state = JobState.RecurrentRunning;
    this.#notifyBackground(JobState.RecurrentRunning);
    const tasks = this.#recurrent;
    this.#pendingInits = tasks.length + 1; // +1: the loop below holds the stage open
    for (const task of tasks) {
      if (this.#ending) return;
      task._state = TaskState.Running;
      if (task._idleTimeout !== undefined) this.#armIdleWatchdog(task);
      const init = task._routines.init;
      // The finalizer is owed once init starts, or run when there is no init (rule 7).
      task._started = init !== undefined || task._routines.run === undefined;
      if (init === undefined) {
        this.#initCompleted(task);
        continue;
      }
      let result: unknown;
      try {
        result = init.call(task._routines, task);
      } catch (err) {
        this._failTask(task, err);
        return;
      }
      if (isPromiseLike(result)) {
        result.then(
          () => this.#initCompleted(task),
          (err: unknown) => this._failTask(task, err),
        );
      } else {
        this.#initCompleted(task);
      }
    }
    this.#allInitsCompleted();
  }

  /** A task without `run` (or that called `done()` in `init`) is finished when its init is. */
  #initCompleted(task: Task<V>): void {
    if (task._routines.run === undefined || task._doneCalled) this.#taskFinished(task);
    this.#allInitsCompleted();
  }

  /** Counts down the inits; the last one starts every run loop together (contract rule 1). */
  #allInitsCompleted(): void {
    if (--this.#pendingInits !== 0 || this.#ending) return;
    for (const task of this.#recurrent) {
      if (this.#ending) return;
      const run = task._routines.run;
      if (run !== undefined && !task._counted) this.#startLoop(task, run);
    }
  }

  /** The oneshot task: its init, then its run loop (like any task's, until `done()`). */
  async #driveOneshot(task: Task<V>): Promise<void> {
    const { init, run } = task._routines;
    if (init !== undefined) {
      try {
        const r = init.call(task._routines, task);
        if (isPromiseLike(r)) await r;
      } catch (err) {
        this.#afterError(task, err);
        return;
      }
    }
    if (run === undefined || task._doneCalled) this.#taskFinished(task);
    else if (!this.#ending) this.#startLoop(task, run);
  }

  /**
   * Starts the run loop of a task (contract rule 2). The first `run` is called synchronously: a
   * task that finishes in it (the common trivial case) never pays for an async loop frame.
   */
  #startLoop(task: Task<V>, run: RunRoutine<V>): void {
    task._started = true;
    task._idleCalled = false;
    let first: unknown;
    try {
      first = run.call(task._routines, task);
    } catch (err) {
      this.#afterError(task, err);
      return;
    }
    if (!isPromiseLike(first) && task._doneCalled) this.#taskFinished(task);
    else void this.#loop(task, run, first);
  }

  /** The rest of the run loop: `first` is the result of the run call that `#startLoop` made. */
  async #loop(task: Task<V>, run: RunRoutine<V>, first: unknown): Promise<void> {
    const routines = task._routines;
    const watched = task._idleTimeout !== undefined;
    let sliceStart = 0; // read lazily: most loops finish or block long before the first slice
    let iterations = 0;
    let r = first;
    try {
      for (;;) {
        if (isPromiseLike(r)) await r;
        if (task._doneCalled) break;
        if (this.#ending) return;
        if (task._idleCalled) {
          await this.#idleBackoff(task);
          if (this.#ending) return;
          sliceStart = 0;
        } else {
          // Returning without done()/idle() is progress.
          task._idleStreak = 0;
          if (watched) task._lastTick = performance.now();
          // A run that never truly waits must still let timers and I/O through.
          if (++iterations % SLICE_CHECK_EVERY === 0) {
            const t = performance.now();
            if (sliceStart === 0) sliceStart = t;
            else if (t - sliceStart >= SLICE_MS) {
              await this.#pause(0);
              if (this.#ending) return;
              sliceStart = 0;
            }
          }
        }
        task._idleCalled = false;
        r = run.call(routines, task);
      }
    } catch (err) {
      this.#afterError(task, err);
      return;
    }
    this.#taskFinished(task);
  }

  #afterError(task: Task<V>, err: unknown): void {
    if (this.#ending) {
      // The job already ended (often the cause of this error: an aborted await).
      if (task._state !== TaskState.Failed)
        this.log.debug({ err, task: task.index }, 'task error after job end');
      return;
    }
    this._failTask(task, err);
  }

  #taskFinished(task: Task<V>): void {
    if (task._counted) return;
    task._counted = true;
    if (task._state === TaskState.Running) task._state = TaskState.Finished;
    this.#disarmIdleWatchdog(task);
    if (--this.#unfinished === 0) this.#end(JobState.Done);
    else if (task._oneshot && !this.#ending) this.#startRecurrent();
  }

  /** After `idle()`: yield a few times, then sleep with a doubling back-off (no busy core). */
  #idleBackoff(task: Task<V>): Promise<void> {
    const streak = task._idleStreak++;
    if (streak < IDLE_IMMEDIATE_RUNS) return this.#pause(0);
    return this.#pause(Math.min(2 ** (streak - IDLE_IMMEDIATE_RUNS), IDLE_MAX_SLEEP_MS));
  }

  /**
   * Waits `ms` (0: the next turn of the event loop, after I/O and timers). Registered with the job
   * so that its end clears the timer at once: an ended job leaves no timer behind.
   */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const pause = startPause(ms, () => {
        this.#pauses?.delete(pause);
        resolve();
      });
      this.#pauses ??= new Set();
      this.#pauses.add(pause);
    });
  }

  // ───────────────────────────── watchdogs ─────────────────────────────

  /** One lazy timer per watched task: it re-arms for the remainder instead of per tick. */
  #armIdleWatchdog(task: Task<V>): void {
    const limit = task._idleTimeout as number;
    task._lastTick = performance.now();
    const check = (): void => {
      task._idleTimer = undefined;
      if (this.#ending || task._state !== TaskState.Running) return;
      const idleFor = performance.now() - task._lastTick;
      if (idleFor >= limit) {
        this._failTask(task, new TaskIdleTimeoutError(task.index, limit));
      } else {
        task._idleTimer = setTimeout(check, Math.max(1, Math.ceil(limit - idleFor)));
      }
    };
    task._idleTimer = setTimeout(check, Math.max(1, limit));
  }

  #disarmIdleWatchdog(task: Task<V>): void {
    if (task._idleTimer !== undefined) {
      clearTimeout(task._idleTimer);
      task._idleTimer = undefined;
    }
  }

  readonly #onTimeout = (): void => {
    this.#timeoutTimer = undefined;
    this.#end(JobState.Cancelled, new JobTimeoutError(this.#timeoutMs as number));
  };

  readonly #onParentAbort = (): void => {
    this.#end(JobState.Cancelled, this.#parent?.reason);
  };

  // ───────────────────────────── the end ─────────────────────────────

  #end(
    outcome: typeof JobState.Done | typeof JobState.Cancelled,
    error?: unknown,
    task?: Task<V>,
  ): void {
    if (this.#ending) return;
    this.#ending = true;
    if (outcome === JobState.Cancelled) {
      this.#interruptedBy = task ? { task, error } : { error };
      this.log.debug({ err: error, task: task?.index }, 'job cancelled');
    }
    this.#releaseResources();
    if (!this.#owesFinalizer()) {
      // Nothing to clean up (never ran, no tasks, or no finalize routines): ended at once.
      this.#state = outcome;
      this.#abortSignal(outcome, error);
      this.#settle(outcome);
      return;
    }
    this.#state = JobState.Finalizing;
    this.#abortSignal(outcome, error);
    void this.#finalize(outcome);
  }

  #owesFinalizer(): boolean {
    for (const task of this.#added) {
      if (task._started && task._routines.finalize !== undefined) return true;
    }
    return false;
  }

  #settle(outcome: JobState): void {
    this.#state = outcome;
    this.#notifyBackground(outcome);
    this.#done.resolve(outcome);
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
    for (const task of this.#recurrent) this.#disarmIdleWatchdog(task);
    if (this.#pauses !== undefined) {
      for (const pause of this.#pauses) pause.wakeNow();
      this.#pauses = undefined;
    }
  }

  async #finalize(outcome: JobState): Promise<void> {
    // Let the code that ended the job (often a task's own run) unwind before cleanup starts.
    await undefined;
    const added = this.#added;
    for (let i = added.length - 1; i >= 0; i--) {
      const task = added[i] as Task<V>;
      const finalize = task._routines.finalize;
      if (!task._started || finalize === undefined) continue;
      try {
        const r = finalize.call(task._routines, task);
        if (isPromiseLike(r)) await r;
      } catch (err) {
        this.log.error({ err, task: task.index }, 'task finalizer failed');
      }
    }
    this.#settle(outcome);
  }

  #notifyBackground(state: JobState): void {
    const notify = this.#background;
    if (notify === undefined) return;
    this.#background = undefined;
    notify(state);
  }

  #assertNotStarted(what: string): void {
    if (this.#started || this.#ending) throw new JobError(`${what}() after the job has started`);
  }
}
