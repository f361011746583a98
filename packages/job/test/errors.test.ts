// Error classes and their stable codes: a contract users match on (`err.code`).
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
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
} from '../src/index.js';

const table = [
  [JobError, 'ERR_JOB'],
  [JobCancelledError, 'ERR_JOB_CANCELLED'],
  [JobTimeoutError, 'ERR_JOB_TIMEOUT'],
  [TaskIdleTimeoutError, 'ERR_TASK_IDLE_TIMEOUT'],
  [AssertionFailedError, 'ERR_ASSERTION_FAILED'],
  [NilValueError, 'ERR_NIL_VALUE'],
  [NotifierAbortedError, 'ERR_NOTIFIER_ABORTED'],
] as const;

describe('errors', () => {
  for (const [Cls, code] of table) {
    it(`${Cls.name} has code ${code}, extends JobError and Error`, () => {
      // Every constructor argument is optional for users matching on code.
      const err = new (Cls as unknown as new (...a: unknown[]) => JobError)(1, 2);
      expect(err).toBeInstanceOf(Cls);
      expect(err).toBeInstanceOf(JobError);
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.name).toBe(Cls.name);
    });
  }

  it('codes are distinct', () => {
    expect(new Set(table.map(([, c]) => c)).size).toBe(table.length);
  });

  it('the JobErrorCode registry holds exactly the codes of the classes, each once', () => {
    const classes = [
      ...table.map(([, c]) => c),
      new ChannelClosedError().code,
      new ChannelAbortedError(undefined).code,
    ];
    const registry = Object.values(JobErrorCode);
    expect(new Set(registry).size).toBe(registry.length);
    expect([...registry].sort()).toEqual([...classes].sort());
    expectTypeOf<JobError['code']>().toEqualTypeOf<JobErrorCode>();
  });

  it('subclasses are not instances of each other', () => {
    expect(new JobTimeoutError(1)).not.toBeInstanceOf(JobCancelledError);
    expect(new TaskIdleTimeoutError(1, 1)).not.toBeInstanceOf(JobTimeoutError);
    expect(new NilValueError()).not.toBeInstanceOf(AssertionFailedError);
  });

  it('timeout errors carry their figures', () => {
    const t = new JobTimeoutError(250);
    expect(t.timeoutMs).toBe(250);
    expect(t.message).toContain('250');
    const i = new TaskIdleTimeoutError(3, 40);
    expect(i.taskIndex).toBe(3);
    expect(i.idleTimeoutMs).toBe(40);
  });

  it('channel errors are JobErrors with their own codes', () => {
    const closed = new ChannelClosedError();
    expect(closed).toBeInstanceOf(JobError);
    expect(closed.code).toBe('ERR_CHANNEL_CLOSED');
    const reason = new Error('r');
    const aborted = new ChannelAbortedError(reason);
    expect(aborted).toBeInstanceOf(JobError);
    expect(aborted.code).toBe('ERR_CHANNEL_ABORTED');
    expect(aborted.cause).toBe(reason);
  });

  it('JobError takes a message and an optional cause', () => {
    const cause = new Error('root');
    const err = new JobError('misuse', { cause });
    expect(err.message).toBe('misuse');
    expect(err.cause).toBe(cause);
  });
});
