/**
 * Every error the package throws or cancels a job with. Match on `err.code`, not on the message:
 * codes are stable, messages may change.
 */
export class JobError extends Error {
  /** Stable machine-readable code. */
  readonly code: string = 'ERR_JOB';

  constructor(message = 'job API misuse', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The default reason of `job.cancel()`. */
export class JobCancelledError extends JobError {
  override readonly code: string = 'ERR_JOB_CANCELLED';
  constructor(message = 'job cancelled', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The job ran longer than its `timeout`. */
export class JobTimeoutError extends JobError {
  override readonly code: string = 'ERR_JOB_TIMEOUT';
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`job timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** A task with an `idleTimeout` made no progress (no tick) for that long. */
export class TaskIdleTimeoutError extends JobError {
  override readonly code: string = 'ERR_TASK_IDLE_TIMEOUT';
  readonly taskIndex: number;
  readonly idleTimeoutMs: number;
  constructor(taskIndex: number, idleTimeoutMs: number) {
    super(`task ${taskIndex} made no progress for ${idleTimeoutMs} ms`);
    this.taskIndex = taskIndex;
    this.idleTimeoutMs = idleTimeoutMs;
  }
}

/** `task.assertTrue(false)` without an error of its own. */
export class AssertionFailedError extends JobError {
  override readonly code: string = 'ERR_ASSERTION_FAILED';
  constructor(message = 'assertion failed') {
    super(message);
  }
}

/** `task.assertNotNil(null | undefined)`. */
export class NilValueError extends JobError {
  override readonly code: string = 'ERR_NIL_VALUE';
  constructor(message = 'value is null or undefined') {
    super(message);
  }
}

/** `send` or `receive` on a closed `Channel` (after its buffer has drained, for `receive`). */
export class ChannelClosedError extends JobError {
  override readonly code: string = 'ERR_CHANNEL_CLOSED';
  constructor(message = 'channel closed') {
    super(message);
  }
}

/** A `send` or `receive` whose signal aborted; `cause` is the signal's reason. Nothing was lost. */
export class ChannelAbortedError extends JobError {
  override readonly code: string = 'ERR_CHANNEL_ABORTED';
  constructor(reason: unknown) {
    super('channel operation aborted', { cause: reason });
  }
}

/** A `Notifier.wait` whose signal aborted; `cause` is the signal's reason. */
export class NotifierAbortedError extends JobError {
  override readonly code: string = 'ERR_NOTIFIER_ABORTED';
  constructor(reason?: unknown) {
    super('wait aborted', { cause: reason });
  }
}
