// The scenarios of go-work's own job_test.go, ported. Where the Go tests' checks were vacuous
// (`if !j.IsCancelled() && res != 16` passes whatever happens), these check what was meant.
import { open } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { Job, type Task, type TaskFactory, TaskIdleTimeoutError, TaskState } from '../src/index.js';
import { sleep, sleepUnlessAborted } from './helpers.js';

let counter = 0;

const sleepIncCounter =
  (ms: number): TaskFactory =>
  () => ({
    async run(task) {
      if (ms > 0) await sleep(ms);
      counter++;
      task.done();
    },
  });

/** Calls `idle()` on every run until `ms` from now (counted from this call), then `done()`. */
const idleFor = (ms: number): TaskFactory => {
  const doneAt = performance.now() + ms;
  return () => ({
    run(task) {
      if (performance.now() >= doneAt) task.done();
      else task.idle();
    },
  });
};

const divide =
  (num: number, divider: number, ms = 0): TaskFactory =>
  () => ({
    async run(task: Task) {
      if (ms > 0) await sleep(ms);
      if (divider === 0) task.assert('division by zero');
      task.result = num / divider;
      task.done();
    },
  });

const square =
  (num: number): TaskFactory =>
  () => ({
    run(task) {
      task.result = num * num;
      task.done();
    },
  });

describe('go-work job_test.go, ported', () => {
  it('TestDone: 50 tasks each incrementing a counter', async () => {
    counter = 0;
    const job = new Job();
    for (let i = 0; i < 50; i++) job.addTask(sleepIncCounter(i % 5));
    expect(await job.run()).toBe('done');
    expect(counter).toBe(50);
  });

  it('TestDone with a oneshot task', async () => {
    counter = 0;
    const job = new Job();
    job.addOneshotTask(sleepIncCounter(2));
    for (let i = 0; i < 10; i++) job.addTask(sleepIncCounter(1));
    expect(await job.run()).toBe('done');
    expect(counter).toBe(11);
  });

  it('TestCancel: a division by zero cancels the job', async () => {
    const job = new Job();
    for (let i = 0; i < 10; i++) {
      job.addTask(divide(9, 3, i % 3));
      job.addTask(divide(9, 0, (2 * i) % 3));
    }
    expect(await job.run()).toBe('cancelled');
    expect(job.interruptedBy?.error).toBe('division by zero');
  });

  it('TestCancel: every started task is finalized', async () => {
    let finalized = 0;
    const job = new Job();
    for (let i = 0; i < 10; i++) {
      job.addTask(() => ({
        run: (t) => t.done(),
        finalize: () => {
          finalized++;
        },
      }));
    }
    job.addTask(divide(9, 0, 1));
    expect(await job.run()).toBe('cancelled');
    // No "allocate enough time for finalize routines": run() resolves after them.
    expect(finalized).toBe(10);
  });

  it('TestTimeout: 100 tasks finish within the timeout', async () => {
    counter = 0;
    const job = new Job().withTimeout(2000);
    for (let i = 0; i < 100; i++) job.addTask(sleepIncCounter((i % 10) + 1));
    expect(await job.run()).toBe('done');
    expect(counter).toBe(100);
  });

  it('TestTimeout: a long task is cancelled by the timeout and does not block run()', async () => {
    counter = 0;
    const job = new Job().withTimeout(40);
    const task1 = job.addTask(sleepIncCounter(5));
    const task2 = job.addTask(() => ({
      async run(task) {
        // Honours the job signal, as a well-behaved task does (Go's `time.Sleep` cannot).
        await sleepUnlessAborted(99_999_000, task.signal);
        counter++;
        task.done();
      },
    }));
    const started = performance.now();
    expect(await job.run()).toBe('cancelled');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(counter).toBe(1);
    expect(task1.state).toBe(TaskState.Finished);
    expect(task2.state).toBe(TaskState.Running);
  });

  it('TestOneshot: the recurrent tasks run after the oneshot', async () => {
    const job = new Job();
    job.addOneshotTask(divide(9, 3, 1));
    const task1 = job.addTask(square(4));
    expect(await job.run()).toBe('done');
    expect(job.getTaskByIndex(0)?.result).toBe(3);
    expect(task1.result).toBe(16);
  });

  it('TestOneshot: a failed oneshot starts no recurrent task', async () => {
    const job = new Job();
    job.addOneshotTask(divide(3, 0, 1));
    const task1 = job.addTask(square(3));
    expect(await job.run()).toBe('cancelled');
    expect(task1.result).toBeUndefined();
    expect(task1.state).toBe('pending');
  });

  it('TestOneshotBg: runInBackground returns after the oneshot, done after the rest', async () => {
    let value = 0;
    const job = new Job();
    job.addOneshotTask(() => ({
      async run(t) {
        await sleep(10);
        value = 1;
        t.done();
      },
    }));
    job.addTask(() => ({
      async run(t) {
        await sleep(5);
        value = 2;
        t.done();
      },
    }));
    expect(await job.runInBackground()).toBe('recurrent-running');
    expect(job.state).toBe('recurrent-running');
    expect(value).toBe(1);
    expect(await job.done).toBe('done');
    expect(value).toBe(2);
  });

  it('TestAssert: 300 tasks, a third of them dividing by zero', async () => {
    const job = new Job();
    const failing: Task[] = [];
    for (let i = 0; i < 100; i++) {
      job.addTask(divide(9, 3));
      failing.push(job.addTask(divide(9, 0)));
      job.addTask(divide(9, 9));
    }
    expect(await job.run()).toBe('cancelled');
    expect(job.interruptedBy?.error).toBe('division by zero');
    expect(failing).toContain(job.interruptedBy?.task);
    // Exactly one task is recorded as the failing one.
    expect(failing.filter((t) => t.state === 'failed')).toHaveLength(1);
  });

  it('TestAssert: a failed I/O call asserted', async () => {
    const failedIO: TaskFactory = () => ({
      async run(task: Task) {
        const err = await open('foobar-does-not-exist').then(
          async (fh) => {
            await fh.close();
            return null;
          },
          (e: unknown) => e,
        );
        task.assert(err);
        task.done();
      },
    });
    const job = new Job();
    job.addTask(failedIO);
    job.addTask(failedIO);
    expect(await job.run()).toBe('cancelled');
    expect((job.interruptedBy?.error as NodeJS.ErrnoException | undefined)?.code).toBe('ENOENT');
  });

  it('TestIdleTimedout: idling past the idle timeout cancels the job', async () => {
    const idler = idleFor(300);
    const job = new Job();
    job.addTaskWithIdleTimeout(idler, 30);
    expect(await job.run()).toBe('cancelled');
    expect(job.interruptedBy?.error).toBeInstanceOf(TaskIdleTimeoutError);
  });

  it('TestIdle: finishing before the idle timeout ends the job done', async () => {
    const idler = idleFor(19);
    const job = new Job();
    job.addTaskWithIdleTimeout(idler, 300);
    expect(await job.run()).toBe('done');
    expect(job.interruptedBy).toBeUndefined();
  });

  it('TestCatchPanic: a throw in run cancels the job with that error', async () => {
    const errUnexpected = new Error('Unexpected error');
    const job = new Job();
    const task = job.addTask(() => ({
      async run() {
        await sleep(10);
        throw errUnexpected;
      },
    }));
    expect(await job.run()).toBe('cancelled');
    expect(job.interruptedBy).toEqual({ task, error: errUnexpected });
  });

  it('TestCatchPanic: a throw in init wins; run is never called', async () => {
    const errInit = new Error('Init unexpected error');
    let ran = false;
    const job = new Job();
    job.addTask(() => ({
      init() {
        throw errInit;
      },
      async run() {
        ran = true;
        await sleep(10);
        throw new Error('Unexpected error');
      },
    }));
    expect(await job.run()).toBe('cancelled');
    expect(job.interruptedBy?.error).toBe(errInit);
    expect(ran).toBe(false);
  });
});
