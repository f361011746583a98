import { disarmIdleWatchdog } from './idle-watchdog.js';
import { type Pause, startPause } from './pause.js';
import { startOneshot, startRecurrent } from './stages.js';
import type { TaskRun } from './task-run.js';
import { JobState, type Logger, TaskState } from './types.js';

/** @internal How a job ends. */
export type Outcome = typeof JobState.Done | typeof JobState.Cancelled;

/**
 * @internal How a job's run reports to the `Job` that owns it: one module-level object of
 * functions taking the owner, not an object of closures per job. (A per-job object literal got
 * pretenured by V8; dead in old space, it kept every task of its job alive through scavenges
 * until the next full GC: 10,000 trivial tasks cost 1.0 µs each instead of 0.12.)
 */
export interface RunHooks<J> {
  /** The first call ends the job (later ones do nothing); `task`: the task that failed. */
  end(owner: J, outcome: Outcome, error?: unknown, run?: TaskRun<never>): void;
  /** The recurrent stage has begun (for `runInBackground()`). */
  recurrentStarted(owner: J): void;
  /** The owner's logger. */
  log(owner: J): Logger;
}

/**
 * @internal
 * The run state of one job, private to it: its tasks' runs, the counters of the stage machine,
 * whether it is ending, and the pauses (yields and back-off sleeps) in progress. The stage
 * machine (stages.ts), the run loop (run-loop.ts) and the watchdog (idle-watchdog.ts) work on it;
 * the `Job` owns the outcome (signal, timers, finalizers).
 */
export class JobRun<V> {
  /** The `Job` this is the run state of, and how to report to it. */
  readonly #owner: object;
  readonly #hooks: RunHooks<object>;
  state: JobState = JobState.New;
  started = false;
  /** Set by the first of cancel/finish/failure/timeout: everything after it does nothing. */
  ending = false;
  oneshot: TaskRun<V> | undefined;
  recurrent: TaskRun<V>[] = [];
  /** Every task in order of adding (the oneshot where it was added): finalizers go backwards. */
  added: TaskRun<V>[] = [];
  /** Tasks not yet finished; the job is done when it reaches 0. */
  unfinished = 0;
  /** Recurrent inits still running; the run loops start together when it reaches 0. */
  pendingInits = 0;
  /** Pauses in progress: the end of the job clears and wakes them. */
  #pauses: Set<Pause> | undefined;

  constructor(owner: object, hooks: RunHooks<object>) {
    this.#owner = owner;
    this.#hooks = hooks;
  }

  /** The `Job` this is the run state of (what `task.job` returns). */
  get owner(): object {
    return this.#owner;
  }

  /** Ends the job (the first call wins); `run`: the task that failed. */
  end(outcome: Outcome, error?: unknown, run?: TaskRun<V>): void {
    this.#hooks.end(this.#owner, outcome, error, run as TaskRun<never> | undefined);
  }

  /** The recurrent stage has begun. */
  recurrentStarted(): void {
    this.#hooks.recurrentStarted(this.#owner);
  }

  /** The job's logger. */
  get log(): Logger {
    return this.#hooks.log(this.#owner);
  }

  /** Starts the stages (contract rule 1); a job without tasks is done at once (rule 6). */
  start(): void {
    this.started = true;
    // The task lists are final now. Grown by push() they keep room for 16 runs (144 B each);
    // copies hold what they hold: a proxy connection's job (two tasks) keeps 232 B fewer for as
    // long as it runs.
    this.added = this.added.slice();
    this.recurrent = this.recurrent.slice();
    this.unfinished = this.added.length;
    if (this.unfinished === 0) {
      this.end(JobState.Done);
    } else if (this.oneshot !== undefined) {
      this.state = JobState.OneshotRunning;
      startOneshot(this, this.oneshot);
    } else {
      startRecurrent(this);
    }
  }

  /** A task failed (threw, rejected, failed an assertion or its idle timeout): rule 3. */
  fail(run: TaskRun<V>, error: unknown): void {
    if (this.ending) return;
    run.state = TaskState.Failed;
    this.end(JobState.Cancelled, error, run);
  }

  /** An error out of a routine: a failure, unless the job had already ended (often its cause). */
  afterError(run: TaskRun<V>, err: unknown): void {
    if (!this.ending) {
      this.fail(run, err);
    } else if (run.state !== TaskState.Failed) {
      this.log.debug({ err, task: run.index }, 'task error after job end');
    }
  }

  /** Counts a task as finished; the last one ends the job, the oneshot opens the next stage. */
  taskFinished(run: TaskRun<V>): void {
    if (run.counted) return;
    run.counted = true;
    if (run.state === TaskState.Running) run.state = TaskState.Finished;
    disarmIdleWatchdog(run);
    if (--this.unfinished === 0) this.end(JobState.Done);
    else if (run.oneshot && !this.ending) startRecurrent(this);
  }

  /**
   * Waits `ms` (0: the next turn of the event loop, after I/O and timers). Registered so that
   * the job's end clears the timer at once: an ended job leaves no timer behind.
   */
  pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const pause = startPause(ms, () => {
        this.#pauses?.delete(pause);
        resolve();
      });
      this.#pauses ??= new Set();
      this.#pauses.add(pause);
    });
  }

  /** At the end: every watchdog disarmed, every pause woken (its loop then sees `ending`). */
  release(): void {
    for (const run of this.recurrent) disarmIdleWatchdog(run);
    if (this.#pauses !== undefined) {
      for (const pause of this.#pauses) pause.wakeNow();
      this.#pauses = undefined;
    }
  }
}
