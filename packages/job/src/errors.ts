/**
 * Every error code of the package, one `as const` table (the registry): match on `err.code`, not
 * on the message — codes are stable, messages may change. The first six are the contract's.
 */
export const JobErrorCode = {
  /** Misuse of the API. */
  Job: 'ERR_JOB',
  /** The default reason of `job.cancel()`. */
  Cancelled: 'ERR_JOB_CANCELLED',
  /** The job ran longer than its timeout. */
  Timeout: 'ERR_JOB_TIMEOUT',
  /** A task made no progress for its idle timeout. */
  TaskIdleTimeout: 'ERR_TASK_IDLE_TIMEOUT',
  /** `task.assertTrue(false)` without an error of its own. */
  AssertionFailed: 'ERR_ASSERTION_FAILED',
  /** `task.assertNotNil(null | undefined)`. */
  NilValue: 'ERR_NIL_VALUE',
  /** `send`/`receive` on a closed `Channel`. */
  ChannelClosed: 'ERR_CHANNEL_CLOSED',
  /** A `Channel` operation whose signal aborted. */
  ChannelAborted: 'ERR_CHANNEL_ABORTED',
  /** A `Notifier.wait` whose signal aborted. */
  NotifierAborted: 'ERR_NOTIFIER_ABORTED',
} as const;
/** Every code of the package, as a union of string literals. */
export type JobErrorCode = (typeof JobErrorCode)[keyof typeof JobErrorCode];

/**
 * The base of every error the package throws or cancels a job with; on its own, misuse of the
 * API (`ERR_JOB`). Match on `err.code` (a `JobErrorCode`).
 *
 * @example
 * ```ts
 * if ((await job.run()) === 'cancelled') {
 *   const err = job.interruptedBy?.error;
 *   if (err instanceof JobError && err.code === JobErrorCode.Timeout) log.warn('timed out');
 * }
 * ```
 */
export class JobError extends Error {
  /** Stable machine-readable code, from `JobErrorCode`. */
  readonly code: JobErrorCode = JobErrorCode.Job;

  /** @param options.cause the error behind this one, if any. */
  constructor(message = 'job API misuse', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The default reason of `job.cancel()`. */
export class JobCancelledError extends JobError {
  /** Stable machine-readable code, from `JobErrorCode`. */
  override readonly code: JobErrorCode = JobErrorCode.Cancelled;
  /** @param options.cause the error behind the cancellation, if any. */
  constructor(message = 'job cancelled', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The job ran longer than its `timeout`. */
export class JobTimeoutError extends JobError {
  /** Stable machine-readable code, from `JobErrorCode`. */
  override readonly code: JobErrorCode = JobErrorCode.Timeout;
  /** The job timeout that passed, ms. */
  readonly timeoutMs: number;
  /** @param timeoutMs the job timeout that passed. */
  constructor(timeoutMs: number) {
    super(`job timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** A task with an `idleTimeout` made no progress (no tick) for that long. */
export class TaskIdleTimeoutError extends JobError {
  /** Stable machine-readable code, from `JobErrorCode`. */
  override readonly code: JobErrorCode = JobErrorCode.TaskIdleTimeout;
  /** The index of the task that made no progress. */
  readonly taskIndex: number;
  /** Its idle timeout, ms. */
  readonly idleTimeoutMs: number;
  /** @param taskIndex the task's index; @param idleTimeoutMs its idle timeout. */
  constructor(taskIndex: number, idleTimeoutMs: number) {
    super(`task ${taskIndex} made no progress for ${idleTimeoutMs} ms`);
    this.taskIndex = taskIndex;
    this.idleTimeoutMs = idleTimeoutMs;
  }
}

/** `task.assertTrue(false)` without an error of its own. */
export class AssertionFailedError extends JobError {
  /** Stable machine-readable code, from `JobErrorCode`. */
  override readonly code: JobErrorCode = JobErrorCode.AssertionFailed;
  /** @param message what failed; a default says it generically. */
  constructor(message = 'assertion failed') {
    super(message);
  }
}

/** `task.assertNotNil(null | undefined)`. */
export class NilValueError extends JobError {
  /** Stable machine-readable code, from `JobErrorCode`. */
  override readonly code: JobErrorCode = JobErrorCode.NilValue;
  /** @param message what failed; a default says it generically. */
  constructor(message = 'value is null or undefined') {
    super(message);
  }
}

/** `send` or `receive` on a closed `Channel` (after its buffer has drained, for `receive`). */
export class ChannelClosedError extends JobError {
  /** Stable machine-readable code, from `JobErrorCode`. */
  override readonly code: JobErrorCode = JobErrorCode.ChannelClosed;
  /** @param message what failed; a default says it generically. */
  constructor(message = 'channel closed') {
    super(message);
  }
}

/** A `send` or `receive` whose signal aborted; `cause` is the signal's reason. Nothing was lost. */
export class ChannelAbortedError extends JobError {
  /** Stable machine-readable code, from `JobErrorCode`. */
  override readonly code: JobErrorCode = JobErrorCode.ChannelAborted;
  /** @param reason the signal's reason, kept as `cause`. */
  constructor(reason: unknown) {
    super('channel operation aborted', { cause: reason });
  }
}

/** A `Notifier.wait` whose signal aborted; `cause` is the signal's reason. */
export class NotifierAbortedError extends JobError {
  /** Stable machine-readable code, from `JobErrorCode`. */
  override readonly code: JobErrorCode = JobErrorCode.NotifierAborted;
  /** @param reason the signal's reason, kept as `cause`. */
  constructor(reason?: unknown) {
    super('wait aborted', { cause: reason });
  }
}
