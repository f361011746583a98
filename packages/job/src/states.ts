/** Lifecycle of a job. `finalizing` lasts while the finalizers run; `done`/`cancelled` are final. */
export const JobState = {
  New: 'new',
  OneshotRunning: 'oneshot-running',
  RecurrentRunning: 'recurrent-running',
  Finalizing: 'finalizing',
  Cancelled: 'cancelled',
  Done: 'done',
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

/** Lifecycle of a task. A task running when another one cancelled the job stays `running`. */
export const TaskState = {
  Pending: 'pending',
  Running: 'running',
  Failed: 'failed',
  Finished: 'finished',
} as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];
