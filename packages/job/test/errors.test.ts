// Error classes and their stable codes: a contract users match on (`err.code`).
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../src/index.js';

type ErrorClass = new (...args: unknown[]) => api.JobError;

/** Every error class the package entry exports: found, not listed, so a new one is checked too. */
const exported = (Object.values(api) as unknown[]).filter(
  (v): v is ErrorClass => typeof v === 'function' && v.prototype instanceof Error,
);

/** The code of each class: the contract's six first, then the package's own. */
const codes: Record<string, string> = {
  JobError: 'ERR_JOB',
  JobCancelledError: 'ERR_JOB_CANCELLED',
  JobTimeoutError: 'ERR_JOB_TIMEOUT',
  TaskIdleTimeoutError: 'ERR_TASK_IDLE_TIMEOUT',
  AssertionFailedError: 'ERR_ASSERTION_FAILED',
  NilValueError: 'ERR_NIL_VALUE',
  NotifierAbortedError: 'ERR_NOTIFIER_ABORTED',
  ChannelClosedError: 'ERR_CHANNEL_CLOSED',
  ChannelAbortedError: 'ERR_CHANNEL_ABORTED',
};

describe('errors', () => {
  it('the exported error classes are exactly those with a code above', () => {
    expect(exported.map((Cls) => Cls.name).sort()).toEqual(Object.keys(codes).sort());
  });

  for (const Cls of exported) {
    const code = codes[Cls.name];
    it(`${Cls.name} has code ${code}, extends JobError and Error`, () => {
      // Every constructor argument is optional for users matching on code.
      const err = new Cls(1, 2);
      expect(err).toBeInstanceOf(Cls);
      expect(err).toBeInstanceOf(api.JobError);
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.name).toBe(Cls.name);
    });
  }

  it('codes are distinct', () => {
    const all = Object.values(codes);
    expect(new Set(all).size).toBe(all.length);
  });

  it('the JobErrorCode registry holds exactly the codes of the classes, each once', () => {
    const classes = exported.map((Cls) => new Cls(1, 2).code);
    const registry = Object.values(api.JobErrorCode);
    expect(new Set(registry).size).toBe(registry.length);
    expect([...registry].sort()).toEqual([...classes].sort());
    expectTypeOf<api.JobError['code']>().toEqualTypeOf<api.JobErrorCode>();
  });

  it('subclasses are not instances of each other', () => {
    expect(new api.JobTimeoutError(1)).not.toBeInstanceOf(api.JobCancelledError);
    expect(new api.TaskIdleTimeoutError(1, 1)).not.toBeInstanceOf(api.JobTimeoutError);
    expect(new api.NilValueError()).not.toBeInstanceOf(api.AssertionFailedError);
  });

  it('timeout errors carry their figures', () => {
    const t = new api.JobTimeoutError(250);
    expect(t.timeoutMs).toBe(250);
    expect(t.message).toContain('250');
    const i = new api.TaskIdleTimeoutError(3, 40);
    expect(i.taskIndex).toBe(3);
    expect(i.idleTimeoutMs).toBe(40);
  });

  it('channel errors are JobErrors with their own codes', () => {
    const closed = new api.ChannelClosedError();
    expect(closed).toBeInstanceOf(api.JobError);
    expect(closed.code).toBe('ERR_CHANNEL_CLOSED');
    const reason = new Error('r');
    const aborted = new api.ChannelAbortedError(reason);
    expect(aborted).toBeInstanceOf(api.JobError);
    expect(aborted.code).toBe('ERR_CHANNEL_ABORTED');
    expect(aborted.cause).toBe(reason);
  });

  it('JobError takes a message and an optional cause', () => {
    const cause = new Error('root');
    const err = new api.JobError('misuse', { cause });
    expect(err.message).toBe('misuse');
    expect(err.cause).toBe(cause);
  });
});
