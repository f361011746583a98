export { Channel } from './channel.js';
export {
  AssertionFailedError,
  ChannelAbortedError,
  ChannelClosedError,
  JobCancelledError,
  JobError,
  JobErrorCode,
  JobTimeoutError,
  NilValueError,
  NotifierAbortedError,
  TaskIdleTimeoutError,
} from './errors.js';
export { Job } from './job.js';
export { setDefaultLogger, silentLogger } from './logger.js';
export { Notifier } from './notifier.js';
export { Task } from './task.js';
export {
  type AddTaskOptions,
  type Interruption,
  type JobOptions,
  JobState,
  type LogFn,
  type Logger,
  type TaskFactory,
  type TaskRoutines,
  TaskState,
} from './types.js';
