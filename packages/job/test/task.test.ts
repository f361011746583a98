// The Task table of the contract, the assertion functions and their TypeScript typing.
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  AssertionFailedError,
  Job,
  type JobState,
  NilValueError,
  type Task,
  type TaskFactory,
  type TaskRoutines,
} from '../src/index.js';
import { blockUntilAborted, sleep } from './helpers.js';

describe('Task members', () => {
  it('exposes index, job, state, result and the job signal', async () => {
    const job = new Job<string>('v');
    const task = job.addTask(() => ({
      run(t) {
        t.result = 42;
        t.done();
      },
    }));
    expect(task.index).toBe(1);
    expect(task.job).toBe(job);
    expect(task.state).toBe('pending');
    expect(task.result).toBeUndefined();
    expect(task.signal).toBe(job.signal);
    await job.run();
    expect(task.result).toBe(42);
    task.result = 'overwritten';
    expect(task.result).toBe('overwritten');
  });

  it('passes the same task object to init, run and finalize', async () => {
    const seen = new Set<unknown>();
    const job = new Job();
    const task = job.addTask(() => ({
      init: (t) => void seen.add(t),
      run(t) {
        seen.add(t);
        t.done();
      },
      finalize: (t) => void seen.add(t),
    }));
    await job.run();
    expect([...seen]).toEqual([task]);
  });

  it('done() stops the run loop after the current run', async () => {
    let n = 0;
    const job = new Job();
    const task = job.addTask(() => ({
      run(t) {
        n++;
        t.done();
      },
    }));
    job.addTask(() => ({
      async run(t) {
        await sleep(20);
        t.done();
      },
    }));
    await job.run();
    expect(n).toBe(1);
    expect(task.state).toBe('finished');
  });

  it('done() may be called from init: run is never called (documented: task finishes)', async () => {
    let ran = false;
    const job = new Job();
    const task = job.addTask(() => ({
      init: (t) => t.done(),
      run: () => {
        ran = true;
      },
    }));
    expect(await job.run()).toBe('done');
    expect(ran).toBe(false);
    expect(task.state).toBe('finished');
  });

  it('finishJob() marks the task finished and ends the job as done', async () => {
    const job = new Job();
    const t1 = job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const t2 = job.addTask(() => ({ run: (t) => t.finishJob() }));
    expect(await job.run()).toBe('done');
    expect(t2.state).toBe('finished');
    expect(t1.state).toBe('running');
  });
});

describe('assertions', () => {
  it('assert(null | undefined) passes', async () => {
    const job = new Job();
    let reached = false;
    job.addTask(() => ({
      run(t: Task) {
        t.assert(null);
        t.assert(undefined);
        reached = true;
        t.done();
      },
    }));
    expect(await job.run()).toBe('done');
    expect(reached).toBe(true);
  });

  it('assert(err) cancels the job by this task with err and unwinds run', async () => {
    const job = new Job();
    const err = new Error('ENOENT');
    let reached = false;
    const task = job.addTask(() => ({
      run(t: Task) {
        t.assert(err);
        reached = true;
      },
    }));
    expect(await job.run()).toBe('cancelled');
    expect(reached).toBe(false);
    expect(job.interruptedBy).toEqual({ task, error: err });
    expect(task.state).toBe('failed');
  });

  it('assert treats any non-nullish value as failure (0, "", false included)', async () => {
    for (const v of [0, '', false, 'division by zero']) {
      const job = new Job();
      job.addTask(() => ({
        run(t: Task) {
          t.assert(v);
          t.done();
        },
      }));
      expect(await job.run()).toBe('cancelled');
      expect(job.interruptedBy?.error).toBe(v);
    }
  });

  it('a failed assertion cancels the job even if run catches what assert threw', async () => {
    const job = new Job();
    const err = new Error('swallowed');
    const task = job.addTask(() => ({
      run(t: Task) {
        try {
          t.assert(err);
        } catch {
          // a careless catch-all
        }
        t.done();
      },
    }));
    expect(await job.run()).toBe('cancelled');
    expect(job.interruptedBy?.error).toBe(err);
    expect(job.interruptedBy?.task).toBe(task);
  });

  it('assert works in init and in async code after an await', async () => {
    for (const where of ['init', 'run'] as const) {
      const job = new Job();
      const err = new Error(where);
      const task = job.addTask(() => {
        const body = async (t: Task) => {
          await sleep(1);
          t.assert(err);
        };
        return where === 'init' ? { init: body } : { run: body };
      });
      expect(await job.run()).toBe('cancelled');
      expect(job.interruptedBy).toEqual({ task, error: err });
    }
  });

  it('assertTrue(true) passes; assertTrue(false) fails (not inverted, unlike go-work)', async () => {
    const ok = new Job();
    ok.addTask(() => ({
      run(t: Task) {
        t.assertTrue(true);
        t.assertTrue(1);
        t.assertTrue('x');
        t.done();
      },
    }));
    expect(await ok.run()).toBe('done');

    const bad = new Job();
    const task = bad.addTask(() => ({
      run(t: Task) {
        t.assertTrue(false);
        t.done();
      },
    }));
    expect(await bad.run()).toBe('cancelled');
    expect(bad.interruptedBy?.task).toBe(task);
    expect(bad.interruptedBy?.error).toBeInstanceOf(AssertionFailedError);
    expect((bad.interruptedBy?.error as AssertionFailedError | undefined)?.code).toBe(
      'ERR_ASSERTION_FAILED',
    );
  });

  it('assertTrue(falsy, err) fails with err', async () => {
    for (const cond of [false, 0, '', null, undefined]) {
      const job = new Job();
      const err = new Error('custom');
      job.addTask(() => ({
        run(t: Task) {
          t.assertTrue(cond, err);
        },
      }));
      expect(await job.run()).toBe('cancelled');
      expect(job.interruptedBy?.error).toBe(err);
    }
  });

  it('assertNotNil passes on values and fails with NilValueError on null/undefined', async () => {
    const ok = new Job();
    ok.addTask(() => ({
      run(t: Task) {
        t.assertNotNil(0);
        t.assertNotNil('');
        t.assertNotNil(false);
        t.done();
      },
    }));
    expect(await ok.run()).toBe('done');

    for (const v of [null, undefined]) {
      const job = new Job();
      const task = job.addTask(() => ({
        run(t: Task) {
          t.assertNotNil(v);
        },
      }));
      expect(await job.run()).toBe('cancelled');
      expect(job.interruptedBy?.task).toBe(task);
      expect(job.interruptedBy?.error).toBeInstanceOf(NilValueError);
      expect((job.interruptedBy?.error as NilValueError | undefined)?.code).toBe('ERR_NIL_VALUE');
      expect(task.state).toBe('failed');
    }
  });
});

describe('TypeScript typing', () => {
  // These checks run at compile time (`tsc --noEmit` in `npm test`) as much as at run time.
  // Assertion functions need the task parameter annotated (TS2775): `task: Task<V>`.

  it('assertions narrow their argument', async () => {
    interface Conn {
      port: number;
    }
    const job = new Job<{ conn?: Conn }>({});
    job.addTask(
      (j): TaskRoutines<{ conn?: Conn }> => ({
        run(task: Task<{ conn?: Conn }>) {
          const maybe: Conn | undefined = j.value.conn ?? { port: 1 };
          task.assertNotNil(maybe);
          expectTypeOf(maybe).toEqualTypeOf<Conn>();

          const err: Error | null = Math.random() > 2 ? new Error('never') : null;
          task.assert(err);
          expectTypeOf(err).toEqualTypeOf<null>();

          const u: string | number = 'x' as string | number;
          task.assertTrue(typeof u === 'string');
          expectTypeOf(u).toEqualTypeOf<string>();
          task.done();
        },
      }),
    );
    expect(await job.run()).toBe('done');
  });

  it('an unannotated task parameter cannot call an assertion (TS2775, see the README)', async () => {
    const job = new Job();
    job.addTask(() => ({
      run(task) {
        // @ts-expect-error TS2775: the call target of an assertion needs an explicit type
        task.assertTrue(true);
        task.done();
      },
    }));
    expect(await job.run()).toBe('done');
  });

  it('the job value type flows into tasks', () => {
    const job = new Job<{ hits: number }>({ hits: 0 });
    const factory: TaskFactory<{ hits: number }> = (j) => {
      expectTypeOf(j).toEqualTypeOf<Job<{ hits: number }>>();
      return {
        run(task: Task<{ hits: number }>) {
          expectTypeOf(task.job.value).toEqualTypeOf<{ hits: number }>();
          task.job.value.hits++;
          task.done();
        },
      };
    };
    const t = job.addTask(factory);
    expectTypeOf(t).toEqualTypeOf<Task<{ hits: number }>>();
    expectTypeOf(job.run()).toEqualTypeOf<Promise<JobState>>();
  });
});
