/**
 * The public types of `@tcpbalancer/job`, in one place: what a task is made of, the options of a
 * job and of a task, the life-cycle states, what ended a job, and the logger it writes to.
 */
import type { Job } from './job.js';
import type { Task } from './task.js';

/**
 * The life-cycle of a job (a constant object and a union type of its values). `finalizing` lasts
 * while the finalizers run; `done` and `cancelled` are final.
 *
 * @example
 * ```ts
 * const state: JobState = await job.run();
 * if (state === JobState.Cancelled) console.error(job.interruptedBy?.error);
 * ```
 */
export const JobState = {
  /** Created, not started: tasks may still be added. */
  New: 'new',
  /** The oneshot task (index 0) runs; the recurrent tasks wait for it. */
  OneshotRunning: 'oneshot-running',
  /** The recurrent tasks' `init`s, then their `run` loops, are running. */
  RecurrentRunning: 'recurrent-running',
  /** The job has ended; the finalizers of the started tasks run, in reverse order of adding. */
  Finalizing: 'finalizing',
  /** Ended by `cancel()`, a failure, a timeout or a parent abort; finalizers done. */
  Cancelled: 'cancelled',
  /** Ended by `finish()`, `task.finishJob()` or every task being done; finalizers done. */
  Done: 'done',
} as const;
/** One of the values of `JobState`. */
export type JobState = (typeof JobState)[keyof typeof JobState];

/**
 * The life-cycle of a task. A task that was running when another one cancelled the job keeps
 * `running`; only the task that failed is `failed`.
 *
 * @example
 * ```ts
 * await job.run();
 * const failed = job.interruptedBy?.task; // failed.state === TaskState.Failed
 * ```
 */
export const TaskState = {
  /** Added; its stage has not begun. */
  Pending: 'pending',
  /** Its `init` or `run` loop has started. */
  Running: 'running',
  /** It threw, rejected, failed an assertion or its idle timeout, and so cancelled the job. */
  Failed: 'failed',
  /** It called `done()` (or had no `run` and its `init` completed). */
  Finished: 'finished',
} as const;
/** One of the values of `TaskState`. */
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

/**
 * The routines of a task; every one is optional. Write them as methods of a small class (the
 * house style: `apps/proxy/src/connection.ts`) or of an object literal. Annotate the parameter
 * (`task: Task<V>`) where you call an assertion: TypeScript requires it (TS2775).
 *
 * @example
 * ```ts
 * class Reader implements TaskRoutines<Conn> {
 *   async run(task: Task<Conn>) {
 *     const [chunk] = await once(task.job.value.socket, 'data', { signal: task.signal });
 *     task.tick(); // progress: resets the idle clock
 *     handle(chunk);
 *   }
 *   finalize(task: Task<Conn>) {
 *     task.job.value.socket.destroy();
 *   }
 * }
 * job.addTask(() => new Reader(), { idleTimeout: 30_000 });
 * ```
 */
export interface TaskRoutines<V = unknown> {
  /** Once, before the first `run`; a throw or rejection fails the task and cancels the job. */
  init?(task: Task<V>): void | Promise<void>;
  /**
   * The recurrent routine: awaited, then called again until the task calls `done()` or the job
   * ends. Returning without `done()` or `idle()` counts as progress (a tick).
   */
  run?(task: Task<V>): void | Promise<void>;
  /**
   * Once, when the job ends (either way), for every task whose `init` (or `run`, without `init`)
   * was started; in reverse order of adding, awaited one at a time. Release what the task holds.
   */
  finalize?(task: Task<V>): void | Promise<void>;
}

/**
 * Makes a task's routines; called once, when the task is added, with the job it belongs to.
 *
 * @example
 * ```ts
 * const ticker: TaskFactory<{ count: number }> = (job) => ({
 *   run(task) {
 *     if (++job.value.count === 3) task.done();
 *   },
 * });
 * new Job({ count: 0 }).addTask(ticker);
 * ```
 */
export type TaskFactory<V = unknown> = (job: Job<V>) => TaskRoutines<V>;

/**
 * The options of `new Job(value, options)`.
 *
 * @example
 * ```ts
 * const job = new Job<Conn>({}, { name: `conn:${id}`, timeout: 60_000, signal: server.signal, logger });
 * ```
 */
export interface JobOptions {
  /** ms; the job is cancelled with `JobTimeoutError` when it runs longer. */
  timeout?: number;
  /** The parent: when it aborts, the job is cancelled with its reason. */
  signal?: AbortSignal;
  /** pino-compatible; default: the one set by `setDefaultLogger`, else silent. */
  logger?: Logger;
  /** Bound into the job's child logger as `{ job: name }`; default `job-<n>`. */
  name?: string;
}

/**
 * The options of `job.addTask(factory, options)`.
 *
 * @example
 * ```ts
 * job.addTask(() => new Reader(), { idleTimeout: 30_000 }); // no tick for 30 s: cancelled
 * ```
 */
export interface AddTaskOptions {
  /** ms without progress (a tick) after which the job is cancelled with `TaskIdleTimeoutError`. */
  idleTimeout?: number;
}

/**
 * What cancelled a job (`job.interruptedBy`).
 *
 * @example
 * ```ts
 * if ((await job.run()) === 'cancelled') {
 *   const { task, error } = job.interruptedBy ?? {};
 *   log.warn({ err: error, task: task?.index }, 'job cancelled');
 * }
 * ```
 */
export interface Interruption<V> {
  /** The failing task; absent for `cancel()`, the job timeout and parent aborts. */
  task?: Task<V>;
  /** The error it failed with, or the reason given to `cancel()`/the parent's abort. */
  error: unknown;
}

/** One log method of `Logger`, with pino's two call shapes. */
export interface LogFn {
  (msg: string, ...args: unknown[]): void;
  (obj: object, msg?: string, ...args: unknown[]): void;
}

/**
 * The subset of pino's interface the package uses; a pino logger fits as is.
 *
 * @example
 * ```ts
 * import pino from 'pino';
 * setDefaultLogger(pino({ level: 'debug' })); // jobs created without a logger use it
 * ```
 */
export interface Logger {
  /** Trace-level record. */
  trace: LogFn;
  /** Debug-level record (the job logs its cancellations here). */
  debug: LogFn;
  /** Info-level record. */
  info: LogFn;
  /** Warn-level record. */
  warn: LogFn;
  /** Error-level record (the job logs failing finalizers here). */
  error: LogFn;
  /** A logger with `bindings` added to every record. */
  child(bindings: Record<string, unknown>): Logger;
}
