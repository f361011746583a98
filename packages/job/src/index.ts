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
export { type AddTaskOptions, type Interruption, Job, type JobOptions } from './job.js';
export { type LogFn, type Logger, setDefaultLogger, silentLogger } from './logger.js';
export { Notifier } from './notifier.js';
export { JobState, TaskState } from './states.js';
export { Task, type TaskFactory, type TaskRoutines } from './task.js';
