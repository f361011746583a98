// The Job half of the contract (/work/shared/docs/job-contract.md): the Job table, rules 1–9.
import { EventEmitter, getEventListeners, once } from 'node:events';
import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  Job,
  JobCancelledError,
  JobError,
  JobState,
  JobTimeoutError,
  type Task,
  TaskIdleTimeoutError,
  TaskState,
} from '../src/index.js';
import { blockUntilAborted, deferred, recordingLogger, settledWithin, sleep } from './helpers.js';

describe('Job members', () => {
  it('numbers recurrent tasks 1, 2, 3… in order of adding and the oneshot 0', () => {
    const job = new Job();
    const one = job.addOneshotTask(() => ({}));
    const a = job.addTask(() => ({}));
    const b = job.addTaskWithIdleTimeout(() => ({}), 1000);
    const c = job.addTask(() => ({}), { idleTimeout: 50 });
    expect([one.index, a.index, b.index, c.index]).toEqual([0, 1, 2, 3]);
    expect(job.getTaskByIndex(0)).toBe(one);
    expect(job.getTaskByIndex(1)).toBe(a);
    expect(job.getTaskByIndex(3)).toBe(c);
    expect(job.getTaskByIndex(4)).toBeUndefined();
    expect(job.getTaskByIndex(-1)).toBeUndefined();
  });

  it('numbers recurrent tasks from 1 even when the oneshot is added last', () => {
    const job = new Job();
    const a = job.addTask(() => ({}));
    const b = job.addTask(() => ({}));
    const one = job.addOneshotTask(() => ({}));
    expect([a.index, b.index, one.index]).toEqual([1, 2, 0]);
  });

  it('calls the factory once, when the task is added, with the job', () => {
    const job = new Job();
    const seen: unknown[] = [];
    job.addTask((j) => {
      seen.push(j);
      return {};
    });
    expect(seen).toEqual([job]);
  });

  it('throws JobError on a second oneshot task', () => {
    const job = new Job();
    job.addOneshotTask(() => ({}));
    expect(() => job.addOneshotTask(() => ({}))).toThrow(JobError);
  });

  it('throws JobError when a task is added after the job has started', async () => {
    const job = new Job();
    const release = deferred();
    job.addTask(() => ({
      async run(task) {
        await release.promise;
        task.done();
      },
    }));
    const done = job.run();
    expect(() => job.addTask(() => ({}))).toThrow(JobError);
    expect(() => job.addTaskWithIdleTimeout(() => ({}), 10)).toThrow(JobError);
    expect(() => job.addOneshotTask(() => ({}))).toThrow(JobError);
    release.resolve();
    expect(await done).toBe('done');
    expect(() => job.addTask(() => ({}))).toThrow(JobError);
  });

  it('withTimeout returns the job itself', () => {
    const job = new Job();
    expect(job.withTimeout(1000)).toBe(job);
  });

  it('run() called twice returns the same promise', async () => {
    const job = new Job();
    job.addTask(() => ({ run: (t) => t.done() }));
    const p1 = job.run();
    const p2 = job.run();
    expect(p2).toBe(p1);
    expect(await p1).toBe('done');
    expect(job.run()).toBe(p1);
  });

  it('done resolves like run(), whichever way the job was started', async () => {
    const job = new Job();
    job.addTask(() => ({ run: (t) => t.done() }));
    const p = job.run();
    expect(await job.done).toBe('done');
    expect(await p).toBe('done');

    const bg = new Job();
    bg.addOneshotTask(() => ({ run: (t) => t.done() }));
    bg.addTask(() => ({ run: (t) => t.done() }));
    await bg.runInBackground();
    expect(await bg.done).toBe('done');
  });

  it('start() starts the job without a promise; done is the same promise before and after the end', async () => {
    const finalized: number[] = [];
    const job = new Job();
    const gate = deferred<void>();
    job.addTask(() => ({
      run: async (t) => {
        await gate.promise;
        t.done();
      },
      finalize: (t) => {
        finalized.push(t.index);
      },
    }));
    expect(job.start()).toBeUndefined();
    expect(job.state).toBe('recurrent-running');
    job.start(); // a started job: nothing more happens
    const done = job.done;
    expect(job.run()).toBe(done);
    gate.resolve();
    expect(await done).toBe('done');
    expect(finalized).toEqual([1]);
    expect(job.done).toBe(done);

    // Asked for only after the end: already resolved with the outcome.
    const late = new Job();
    late.addTask(() => ({ run: () => new Promise<void>(() => {}) }));
    late.start();
    expect(late.state).toBe('recurrent-running');
    late.cancel();
    await sleep(1);
    expect(await late.done).toBe('cancelled');
    expect(late.run()).toBe(late.done);
  });

  it('value is shared by the tasks and settable', async () => {
    const job = new Job<{ n: number }>({ n: 1 });
    expect(job.value).toEqual({ n: 1 });
    job.addTask((j) => ({
      run(task) {
        j.value = { n: task.job.value.n + 1 };
        task.done();
      },
    }));
    await job.run();
    expect(job.value).toEqual({ n: 2 });
    job.value = { n: 7 };
    expect(job.value.n).toBe(7);
  });

  it('a job without value has value undefined', () => {
    expect(new Job().value).toBeUndefined();
  });

  it('state goes new → recurrent-running → done', async () => {
    const job = new Job();
    const states: string[] = [job.state];
    job.addTask(() => ({
      run(task) {
        states.push(task.job.state);
        task.done();
      },
    }));
    const p = job.run();
    expect(await p).toBe('done');
    states.push(job.state);
    expect(states).toEqual([JobState.New, JobState.RecurrentRunning, JobState.Done]);
  });

  it('cancel() ends the job as cancelled with a JobCancelledError, no task in interruptedBy', async () => {
    const job = new Job();
    const task = job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const p = job.run();
    await sleep(5);
    job.cancel();
    expect(await p).toBe('cancelled');
    expect(job.state).toBe('cancelled');
    expect(job.interruptedBy?.task).toBeUndefined();
    expect(job.interruptedBy?.error).toBeInstanceOf(JobCancelledError);
    expect(job.signal.aborted).toBe(true);
    expect(job.signal.reason).toBe(job.interruptedBy?.error);
    expect(task.state).toBe(TaskState.Running);
  });

  it('cancel(reason) records that reason as interruptedBy.error and signal.reason', async () => {
    const job = new Job();
    job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const p = job.run();
    const reason = new Error('stop');
    setTimeout(() => job.cancel(reason), 5);
    expect(await p).toBe('cancelled');
    expect(job.interruptedBy).toEqual({ error: reason });
    expect(job.interruptedBy?.error).toBe(reason);
    expect(job.signal.reason).toBe(reason);
  });

  it('finish() ends the job as done, aborting the signal', async () => {
    const job = new Job();
    const task = job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const p = job.run();
    await sleep(5);
    job.finish();
    expect(await p).toBe('done');
    expect(job.signal.aborted).toBe(true);
    expect(job.interruptedBy).toBeUndefined();
    expect(task.state).toBe('running');
  });

  it('the signal is not aborted while the job runs', async () => {
    const job = new Job();
    let abortedDuringRun: boolean | undefined;
    job.addTask(() => ({
      run(t) {
        abortedDuringRun = t.signal.aborted;
        t.done();
      },
    }));
    expect(job.signal.aborted).toBe(false);
    await job.run();
    expect(abortedDuringRun).toBe(false);
    expect(job.signal.aborted).toBe(true);
  });

  it('log is a child of the given logger carrying the job name', () => {
    const root = recordingLogger();
    const job = new Job(undefined, { logger: root, name: 'conn-7' });
    job.log.debug('first');
    expect(root.children.length).toBe(1);
    expect(JSON.stringify(root.children)).toContain('conn-7');
    job.log.info('hello');
    const rec = root.records.find((r) => r.args.includes('hello'));
    expect(rec).toBeDefined();
    expect(JSON.stringify(rec?.bindings)).toContain('conn-7');
  });

  it('name defaults to a unique job-<n> and can be given', () => {
    const a = new Job();
    const b = new Job();
    expect(a.name).toMatch(/^job-\d+$/);
    expect(b.name).not.toBe(a.name);
    expect(new Job(undefined, { name: 'x' }).name).toBe('x');
  });

  it('Symbol.asyncDispose cancels the job and waits for its finalizers', async () => {
    const job = new Job();
    let finalized = false;
    job.addTask(() => ({
      run: (t) => blockUntilAborted(t.signal),
      async finalize() {
        await sleep(5);
        finalized = true;
      },
    }));
    const p = job.run();
    await sleep(1);
    await job[Symbol.asyncDispose]();
    expect(finalized).toBe(true);
    expect(await p).toBe('cancelled');
    expect(job.interruptedBy?.error).toBeInstanceOf(JobCancelledError);
  });

  it('rejects a negative or non-finite timeout with JobError', () => {
    expect(() => new Job(undefined, { timeout: -1 })).toThrow(JobError);
    expect(() => new Job().withTimeout(Number.NaN)).toThrow(JobError);
    expect(() => new Job().addTask(() => ({}), { idleTimeout: -5 })).toThrow(JobError);
  });

  it('log is silent (but callable) without any logger', () => {
    const job = new Job();
    expect(() => {
      job.log.info('x');
      job.log.error({ err: new Error('e') }, 'y');
      job.log.child({ a: 1 }).debug('z');
    }).not.toThrow();
  });
});

describe('first of cancel / finish / failure / timeout wins', () => {
  it('cancel() before run(): run() resolves cancelled and starts nothing', async () => {
    const job = new Job();
    const calls: string[] = [];
    const task = job.addTask(() => ({
      init: () => void calls.push('init'),
      run: () => void calls.push('run'),
      finalize: () => void calls.push('finalize'),
    }));
    const reason = new Error('never mind');
    job.cancel(reason);
    expect(await settledWithin(job.run(), 1000)).toBe('cancelled');
    expect(job.interruptedBy).toEqual({ error: reason });
    expect(calls).toEqual([]);
    expect(task.state).toBe('pending');
  });

  it('cancel then finish: cancelled', async () => {
    const job = new Job();
    job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const p = job.run();
    await sleep(1);
    const reason = new Error('first');
    job.cancel(reason);
    job.finish();
    job.cancel(new Error('second'));
    expect(await p).toBe('cancelled');
    expect(job.interruptedBy?.error).toBe(reason);
    expect(job.signal.reason).toBe(reason);
  });

  it('finish then cancel: done', async () => {
    const job = new Job();
    job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const p = job.run();
    await sleep(1);
    job.finish();
    job.cancel(new Error('late'));
    expect(await p).toBe('done');
    expect(job.interruptedBy).toBeUndefined();
  });

  it('a failure after cancel does not replace interruptedBy', async () => {
    const job = new Job();
    const late = new Error('late failure');
    const task = job.addTask(() => ({
      async run(t) {
        try {
          await blockUntilAborted(t.signal);
        } catch {
          throw late;
        }
      },
    }));
    const p = job.run();
    await sleep(1);
    const reason = new Error('cancel first');
    job.cancel(reason);
    expect(await p).toBe('cancelled');
    expect(job.interruptedBy).toEqual({ error: reason });
    expect(job.interruptedBy?.task).toBeUndefined();
    // The task's own late throw is not the job's failure (rule 9: it was running).
    expect(task.state).not.toBe('finished');
  });

  it('a failure wins over a later timeout and a later cancel', async () => {
    const job = new Job(undefined, { timeout: 30 });
    const boom = new Error('boom');
    const failing = job.addTask(() => ({
      run() {
        throw boom;
      },
    }));
    const p = job.run();
    job.cancel(new Error('too late'));
    expect(await p).toBe('cancelled');
    expect(job.interruptedBy?.error).toBe(boom);
    expect(job.interruptedBy?.task).toBe(failing);
    await sleep(50);
    expect(job.interruptedBy?.error).toBe(boom);
    expect(job.state).toBe('cancelled');
  });

  it('a cancel from inside a finalizer does nothing', async () => {
    const job = new Job();
    job.addTask((j) => ({
      run: (t) => t.done(),
      finalize() {
        j.cancel(new Error('from finalizer'));
      },
    }));
    expect(await job.run()).toBe('done');
    expect(job.interruptedBy).toBeUndefined();
  });

  it('the timeout after a natural end does nothing', async () => {
    const job = new Job().withTimeout(20);
    job.addTask(() => ({ run: (t) => t.done() }));
    expect(await job.run()).toBe('done');
    await sleep(40);
    expect(job.state).toBe('done');
    expect(job.interruptedBy).toBeUndefined();
  });
});

describe('rule 1: stages', () => {
  it('runs the oneshot first, then every init, then the run loops', async () => {
    const events: string[] = [];
    const job = new Job();
    job.addOneshotTask(() => ({
      init(t) {
        events.push(`oneshot init ${t.job.state}`);
      },
      async run(t) {
        await sleep(10);
        events.push(`oneshot run ${t.job.state}`);
        t.done();
      },
    }));
    for (const [name, delay] of [
      ['a', 15],
      ['b', 0],
      ['c', 5],
    ] as const) {
      job.addTask(() => ({
        async init(t) {
          events.push(`${name} init ${t.job.state}`);
          await sleep(delay);
          events.push(`${name} init end`);
        },
        run(t) {
          events.push(`${name} run ${t.job.state}`);
          t.done();
        },
      }));
    }
    expect(await job.run()).toBe('done');
    expect(events.slice(0, 2)).toEqual([
      'oneshot init oneshot-running',
      'oneshot run oneshot-running',
    ]);
    const lastInitEnd = Math.max(...['a', 'b', 'c'].map((n) => events.indexOf(`${n} init end`)));
    const firstRun = Math.min(
      ...['a', 'b', 'c'].map((n) => events.indexOf(`${n} run recurrent-running`)),
    );
    expect(firstRun).toBeGreaterThan(lastInitEnd);
    for (const n of ['a', 'b', 'c']) {
      expect(events).toContain(`${n} run recurrent-running`);
      expect(events.indexOf(`${n} init recurrent-running`)).toBeGreaterThan(1);
    }
  });

  it('does not start any recurrent task when the oneshot fails', async () => {
    const job = new Job();
    const err = new Error('connect refused');
    const calls: string[] = [];
    const one = job.addOneshotTask(() => ({
      run() {
        throw err;
      },
      finalize() {
        calls.push('oneshot finalize');
      },
    }));
    const rec = job.addTask(() => ({
      init() {
        calls.push('init');
      },
      run() {
        calls.push('run');
      },
      finalize() {
        calls.push('finalize');
      },
    }));
    expect(await job.run()).toBe('cancelled');
    expect(calls).toEqual(['oneshot finalize']);
    expect(one.state).toBe('failed');
    expect(rec.state).toBe('pending');
    expect(job.interruptedBy).toEqual({ task: one, error: err });
  });

  it('a oneshot whose init fails does not run its run, nor any recurrent task', async () => {
    const job = new Job();
    const calls: string[] = [];
    job.addOneshotTask(() => ({
      init() {
        throw new Error('bad init');
      },
      run() {
        calls.push('oneshot run');
      },
    }));
    job.addTask(() => ({
      init() {
        calls.push('recurrent init');
      },
    }));
    expect(await job.run()).toBe('cancelled');
    expect(calls).toEqual([]);
  });

  it('a oneshot task loops like any task until done()', async () => {
    const job = new Job();
    let n = 0;
    job.addOneshotTask(() => ({
      run(t) {
        n++;
        if (n === 5) t.done();
      },
    }));
    let recurrentSaw = -1;
    job.addTask(() => ({
      run(t) {
        recurrentSaw = n;
        t.done();
      },
    }));
    expect(await job.run()).toBe('done');
    expect(recurrentSaw).toBe(5);
  });

  it('runInBackground without a oneshot task rejects with JobError', async () => {
    const job = new Job();
    job.addTask(() => ({ run: (t) => t.done() }));
    await expect(job.runInBackground()).rejects.toBeInstanceOf(JobError);
  });

  it('runInBackground resolves recurrent-running once the oneshot is done, and the job goes on', async () => {
    const job = new Job();
    const gate = deferred();
    let recurrentStarted = false;
    job.addOneshotTask(() => ({ run: (t) => t.done() }));
    const rec = job.addTask(() => ({
      async run(t) {
        recurrentStarted = true;
        await gate.promise;
        t.done();
      },
    }));
    expect(await job.runInBackground()).toBe('recurrent-running');
    expect(job.state).toBe('recurrent-running');
    expect(job.getTaskByIndex(0)?.state).toBe('finished');
    await sleep(1);
    expect(recurrentStarted).toBe(true);
    expect(rec.state).toBe('running');
    gate.resolve();
    expect(await job.done).toBe('done');
    expect(rec.state).toBe('finished');
  });

  it('runInBackground resolves cancelled when the oneshot fails', async () => {
    const job = new Job();
    job.addOneshotTask(() => ({
      run() {
        throw new Error('no route');
      },
    }));
    job.addTask(() => ({}));
    expect(await job.runInBackground()).toBe('cancelled');
    expect(job.state).toBe('cancelled');
  });

  it('runInBackground resolves done when the job finishes during the oneshot', async () => {
    const job = new Job();
    job.addOneshotTask(() => ({ run: (t) => t.finishJob() }));
    job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    expect(await job.runInBackground()).toBe('done');
  });

  it('run() after runInBackground() resolves when the job ends', async () => {
    const job = new Job();
    job.addOneshotTask(() => ({ run: (t) => t.done() }));
    job.addTask(() => ({
      async run(t) {
        await sleep(10);
        t.done();
      },
    }));
    expect(await job.runInBackground()).toBe('recurrent-running');
    expect(await job.run()).toBe('done');
  });
});

describe('rule 2: the run loop', () => {
  it('calls run again until done()', async () => {
    let n = 0;
    const job = new Job();
    job.addTask(() => ({
      async run(t) {
        n++;
        await null;
        if (n === 100) t.done();
      },
    }));
    expect(await job.run()).toBe('done');
    expect(n).toBe(100);
  });

  it('stops calling run once the job has ended', async () => {
    let n = 0;
    const job = new Job();
    job.addTask(() => ({
      run() {
        n++;
      },
    }));
    job.addTask(() => ({
      async run(t) {
        await sleep(20);
        t.finishJob();
      },
    }));
    expect(await job.run()).toBe('done');
    const after = n;
    await sleep(20);
    expect(n).toBe(after);
    expect(n).toBeGreaterThan(0);
  });

  it('a synchronous run that never awaits lets a setTimeout fire', async () => {
    let timerFired = false;
    let runsAfterTimer = 0;
    const job = new Job();
    job.addTask(() => ({
      run(t) {
        if (timerFired) {
          runsAfterTimer++;
          t.done();
        }
      },
    }));
    setTimeout(() => {
      timerFired = true;
    }, 10);
    expect(await settledWithin(job.run(), 3000)).toBe('done');
    expect(runsAfterTimer).toBe(1);
  });

  it('a synchronous run that never awaits lets the job timeout fire', async () => {
    const job = new Job(undefined, { timeout: 30 });
    const task = job.addTask(() => ({
      run(t) {
        t.tick();
      },
    }));
    const started = performance.now();
    expect(await settledWithin(job.run(), 3000)).toBe('cancelled');
    expect(performance.now() - started).toBeLessThan(1500);
    expect(job.interruptedBy?.error).toBeInstanceOf(JobTimeoutError);
    expect(task.state).toBe('running');
  });

  it('a synchronous run lets I/O callbacks through', async () => {
    const server = createServer((s) => s.end('hi'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    let received = '';
    const sock = connect(port, '127.0.0.1');
    sock.on('error', () => {});
    sock.on('data', (d) => {
      received += d.toString();
    });
    const job = new Job(undefined, { timeout: 3000 });
    job.addTask(() => ({
      run(t) {
        if (received === 'hi') t.done();
      },
    }));
    try {
      expect(await job.run()).toBe('done');
    } finally {
      sock.destroy();
      server.close();
    }
  });

  it('an idling task does not spin: run calls over 200 ms are bounded', async () => {
    let calls = 0;
    const job = new Job();
    job.addTask(() => ({
      run(t) {
        calls++;
        t.idle();
      },
    }));
    const p = job.run();
    const cpu0 = process.cpuUsage();
    await sleep(200);
    const cpu = process.cpuUsage(cpu0);
    job.finish();
    expect(await p).toBe('done');
    // A back-off: far fewer than a spinning loop's hundreds of thousands.
    expect(calls).toBeLessThan(2000);
    expect(calls).toBeGreaterThan(1);
    // And the process was mostly asleep (generous: 2 noisy cores).
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(150);
  });

  it('an idling task resumes work when there is some again', async () => {
    let work = 0;
    let handled = 0;
    const job = new Job();
    job.addTask(() => ({
      run(t) {
        if (work > handled) {
          handled++;
          if (handled === 3) t.done();
          return;
        }
        t.idle();
      },
    }));
    const p = job.run();
    for (let i = 0; i < 3; i++) {
      await sleep(15);
      work++;
    }
    expect(await settledWithin(p, 2000)).toBe('done');
    expect(handled).toBe(3);
  });
});

describe('rule 3: failure', () => {
  for (const where of ['init', 'run'] as const) {
    for (const how of ['throws', 'rejects'] as const) {
      it(`an error that ${where} ${how} fails the task and cancels the job`, async () => {
        const err = new Error(`${where} ${how}`);
        const job = new Job();
        const other = job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
        const bad = job.addTask(() => {
          const fail =
            how === 'throws'
              ? () => {
                  throw err;
                }
              : async () => {
                  await sleep(2);
                  throw err;
                };
          return where === 'init' ? { init: fail, run: (t: Task) => t.done() } : { run: fail };
        });
        expect(await job.run()).toBe('cancelled');
        expect(bad.state).toBe('failed');
        expect(job.interruptedBy?.task).toBe(bad);
        expect(job.interruptedBy?.error).toBe(err);
        expect(job.signal.reason).toBe(err);
        expect(other.state === 'running' || other.state === 'pending').toBe(true);
      });
    }
  }

  it('a non-Error thrown value is recorded as is', async () => {
    const job = new Job();
    const bad = job.addTask(() => ({
      run() {
        throw 'division by zero';
      },
    }));
    expect(await job.run()).toBe('cancelled');
    expect(job.interruptedBy).toEqual({ task: bad, error: 'division by zero' });
  });

  it('run() never rejects', async () => {
    const job = new Job();
    job.addTask(() => ({
      run() {
        return Promise.reject(new Error('x'));
      },
      finalize() {
        throw new Error('y');
      },
    }));
    await expect(job.run()).resolves.toBe('cancelled');
  });
});

describe('rule 4: idle timeout', () => {
  it('cancels the job when the task keeps idling', async () => {
    const job = new Job();
    const task = job.addTaskWithIdleTimeout(
      () => ({
        run(t) {
          t.idle();
        },
      }),
      30,
    );
    const started = performance.now();
    expect(await settledWithin(job.run(), 3000)).toBe('cancelled');
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(25);
    expect(took).toBeLessThan(1500);
    expect(job.interruptedBy?.error).toBeInstanceOf(TaskIdleTimeoutError);
    if (job.interruptedBy?.task !== undefined) expect(job.interruptedBy.task).toBe(task);
    expect(job.signal.reason).toBeInstanceOf(TaskIdleTimeoutError);
  });

  it('cancels the job when the task is blocked in an await', async () => {
    const job = new Job();
    job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }), { idleTimeout: 30 });
    expect(await settledWithin(job.run(), 3000)).toBe('cancelled');
    expect(job.interruptedBy?.error).toBeInstanceOf(TaskIdleTimeoutError);
  });

  it('cancels the job when init blocks', async () => {
    const job = new Job();
    job.addTask(() => ({ init: (t) => blockUntilAborted(t.signal), run: (t) => t.done() }), {
      idleTimeout: 30,
    });
    expect(await settledWithin(job.run(), 3000)).toBe('cancelled');
    expect(job.interruptedBy?.error).toBeInstanceOf(TaskIdleTimeoutError);
  });

  it('tick() from inside a long await resets the idle clock', async () => {
    const job = new Job();
    job.addTask(
      () => ({
        async run(t) {
          for (let i = 0; i < 20; i++) {
            await sleep(10);
            t.tick();
          }
          t.done();
        },
      }),
      { idleTimeout: 60 },
    );
    expect(await job.run()).toBe('done');
  });

  it('returning from run without done() or idle() counts as a tick', async () => {
    let n = 0;
    const job = new Job();
    job.addTaskWithIdleTimeout(
      () => ({
        async run(t) {
          await sleep(10);
          if (++n === 15) t.done();
        },
      }),
      60,
    );
    expect(await job.run()).toBe('done');
  });

  it('idling keeps the idle clock running: a tick-less idler times out even though run returns', async () => {
    let n = 0;
    const job = new Job();
    job.addTaskWithIdleTimeout(
      () => ({
        async run(t) {
          n++;
          await sleep(5);
          t.idle();
        },
      }),
      40,
    );
    expect(await settledWithin(job.run(), 3000)).toBe('cancelled');
    expect(job.interruptedBy?.error).toBeInstanceOf(TaskIdleTimeoutError);
    expect(n).toBeGreaterThan(1);
  });

  it('a task that idles briefly and then ticks is not timed out', async () => {
    let polls = 0;
    const job = new Job();
    job.addTaskWithIdleTimeout(
      () => ({
        run(t) {
          polls++;
          if (polls % 3 === 0) {
            t.tick();
            if (polls >= 30) t.done();
            return;
          }
          t.idle();
        },
      }),
      200,
    );
    expect(await settledWithin(job.run(), 5000)).toBe('done');
  });

  it('a task without idle timeout may idle forever', async () => {
    const job = new Job();
    job.addTask(() => ({ run: (t) => t.idle() }));
    const p = job.run();
    expect(await settledWithin(p, 100)).toBe('pending');
    job.finish();
    expect(await p).toBe('done');
  });
});

describe('rule 5: job timeout and parent signal', () => {
  it('cancels with JobTimeoutError (constructor option)', async () => {
    const job = new Job(undefined, { timeout: 20 });
    job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const started = performance.now();
    expect(await job.run()).toBe('cancelled');
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    expect(job.interruptedBy?.error).toBeInstanceOf(JobTimeoutError);
    expect(job.interruptedBy?.task).toBeUndefined();
    expect(job.signal.reason).toBeInstanceOf(JobTimeoutError);
  });

  it('cancels with JobTimeoutError (withTimeout)', async () => {
    const job = new Job().withTimeout(20);
    job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    expect(await job.run()).toBe('cancelled');
    expect(job.interruptedBy?.error).toBeInstanceOf(JobTimeoutError);
  });

  it('the timeout also covers the oneshot stage', async () => {
    const job = new Job().withTimeout(20);
    job.addOneshotTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    job.addTask(() => ({}));
    expect(await job.run()).toBe('cancelled');
    expect(job.interruptedBy?.error).toBeInstanceOf(JobTimeoutError);
  });

  it('a parent abort cancels the job with its reason', async () => {
    const parent = new AbortController();
    const job = new Job(undefined, { signal: parent.signal });
    job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const p = job.run();
    await sleep(5);
    const reason = new Error('shutdown');
    parent.abort(reason);
    expect(await p).toBe('cancelled');
    expect(job.interruptedBy).toEqual({ error: reason });
    expect(job.signal.reason).toBe(reason);
  });

  it('an already-aborted parent cancels the job without starting a task', async () => {
    const parent = new AbortController();
    const reason = new Error('already gone');
    parent.abort(reason);
    const job = new Job(undefined, { signal: parent.signal });
    const calls: string[] = [];
    const task = job.addTask(() => ({
      init: () => void calls.push('init'),
      run: () => void calls.push('run'),
      finalize: () => void calls.push('finalize'),
    }));
    expect(await settledWithin(job.run(), 1000)).toBe('cancelled');
    expect(job.interruptedBy?.error).toBe(reason);
    expect(job.signal.reason).toBe(reason);
    expect(calls).toEqual([]);
    expect(task.state).toBe('pending');
  });

  it('leaves no listener on the parent signal once done', async () => {
    const parent = new AbortController();
    const jobs = Array.from({ length: 20 }, () => {
      const j = new Job(undefined, { signal: parent.signal });
      j.addTask(() => ({ run: (t) => t.done() }));
      return j;
    });
    await Promise.all(jobs.map((j) => j.run()));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);

    const cancelled = new Job(undefined, { signal: parent.signal });
    cancelled.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const p = cancelled.run();
    await sleep(1);
    cancelled.cancel();
    await p;
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('a timeout leaves no timer behind after a natural end', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const job = new Job().withTimeout(60_000);
    job.addTask(() => ({ run: (t) => t.done() }));
    await job.run();
    const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(after).toBeLessThanOrEqual(before);
  });
});

describe('rule 6: natural end', () => {
  it('a job with no tasks ends done at once', async () => {
    const job = new Job();
    expect(await settledWithin(job.run(), 100)).toBe('done');
    expect(job.state).toBe('done');
  });

  it('a task without run is finished once init completes', async () => {
    const job = new Job();
    const t = job.addTask(() => ({
      async init() {
        await sleep(5);
      },
    }));
    expect(await job.run()).toBe('done');
    expect(t.state).toBe('finished');
  });

  it('a task with no routines at all finishes', async () => {
    const job = new Job();
    const t = job.addTask(() => ({}));
    expect(await job.run()).toBe('done');
    expect(t.state).toBe('finished');
  });

  it('ends only when every task, the oneshot included, is done', async () => {
    const job = new Job();
    const gates = [deferred(), deferred(), deferred()];
    const tasks = gates.map((g) =>
      job.addTask(() => ({
        async run(t) {
          await g.promise;
          t.done();
        },
      })),
    );
    const p = job.run();
    for (const [i, g] of gates.entries()) {
      expect(await settledWithin(p, 10)).toBe('pending');
      g.resolve();
      await sleep(1);
      expect(tasks[i]?.state).toBe('finished');
    }
    expect(await p).toBe('done');
  });

  it('finishJob() ends the job as done while others still run', async () => {
    const job = new Job();
    const blocked = job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const finisher = job.addTask(() => ({
      async run(t) {
        await sleep(5);
        t.finishJob();
      },
    }));
    expect(await job.run()).toBe('done');
    expect(finisher.state).toBe('finished');
    expect(blocked.state).toBe('running');
    expect(job.interruptedBy).toBeUndefined();
  });
});

describe('rule 7: finalizers', () => {
  it('run once per started task, in reverse order of adding, then the job settles', async () => {
    const order: number[] = [];
    const job = new Job();
    job.addOneshotTask(() => ({
      run: (t) => t.done(),
      finalize: (t) => void order.push(t.index),
    }));
    for (let i = 0; i < 5; i++) {
      job.addTask(() => ({
        run: (t) => t.done(),
        finalize: (t) => void order.push(t.index),
      }));
    }
    expect(await job.run()).toBe('done');
    expect(order).toEqual([5, 4, 3, 2, 1, 0]);
  });

  it('are awaited one after another, state finalizing during them', async () => {
    const events: string[] = [];
    const job = new Job();
    let resolvedEarly = false;
    for (let i = 1; i <= 3; i++) {
      job.addTask(() => ({
        run: (t) => t.done(),
        async finalize(t) {
          events.push(`start ${t.index} ${t.job.state}`);
          await sleep(10);
          events.push(`end ${t.index} ${t.job.state}`);
        },
      }));
    }
    const p = job.run().then((s) => {
      resolvedEarly = events.length < 6;
      return s;
    });
    expect(await p).toBe('done');
    expect(resolvedEarly).toBe(false);
    expect(events).toEqual([
      'start 3 finalizing',
      'end 3 finalizing',
      'start 2 finalizing',
      'end 2 finalizing',
      'start 1 finalizing',
      'end 1 finalizing',
    ]);
    expect(job.state).toBe('done');
  });

  it('state is finalizing on the cancel path too, and the signal is already aborted', async () => {
    const seen: Array<[string, boolean]> = [];
    const job = new Job();
    job.addTask(() => ({
      run: (t) => blockUntilAborted(t.signal),
      finalize: (t) => void seen.push([t.job.state, t.signal.aborted]),
    }));
    const p = job.run();
    await sleep(2);
    job.cancel();
    expect(job.state === 'finalizing' || job.state === 'cancelled').toBe(true);
    expect(await p).toBe('cancelled');
    expect(seen).toEqual([['finalizing', true]]);
  });

  it('a finalizer that throws is logged and the others still run', async () => {
    const logger = recordingLogger();
    const order: number[] = [];
    const job = new Job(undefined, { logger });
    const bad = new Error('finalizer broke');
    job.addTask(() => ({ run: (t) => t.done(), finalize: (t) => void order.push(t.index) }));
    job.addTask(() => ({
      run: (t) => t.done(),
      finalize(t) {
        order.push(t.index);
        throw bad;
      },
    }));
    job.addTask(() => ({
      run: (t) => t.done(),
      async finalize(t) {
        order.push(t.index);
        await sleep(1);
        throw new Error('async finalizer broke');
      },
    }));
    expect(await job.run()).toBe('done');
    expect(order).toEqual([3, 2, 1]);
    const logged = JSON.stringify(
      logger.records
        .filter((r) => r.level === 'error' || r.level === 'warn')
        .map((r) => r.args.map((a) => (a instanceof Error ? a.message : a))),
      (_k, v) => (v instanceof Error ? v.message : v),
    );
    expect(logged).toContain('finalizer broke');
    expect(logged).toContain('async finalizer broke');
  });

  it('are called for tasks whose init was started, even if it failed', async () => {
    const called: number[] = [];
    const job = new Job();
    job.addOneshotTask(() => ({
      run: (t) => t.done(),
      finalize: (t) => void called.push(t.index),
    }));
    job.addTask(() => ({
      init: () => sleep(1),
      run: (t) => blockUntilAborted(t.signal),
      finalize: (t) => void called.push(t.index),
    }));
    job.addTask(() => ({
      async init() {
        await sleep(5);
        throw new Error('init failed');
      },
      finalize: (t) => void called.push(t.index),
    }));
    expect(await job.run()).toBe('cancelled');
    expect(called).toEqual([2, 1, 0]);
  });

  it('are not called for tasks never started: after a synchronous init failure', async () => {
    const called: number[] = [];
    const job = new Job();
    job.addTask(() => ({
      init() {
        throw new Error('sync init failure');
      },
      finalize: (t) => void called.push(t.index),
    }));
    job.addTask(() => ({
      init: () => void called.push(-1),
      finalize: (t) => void called.push(t.index),
    }));
    expect(await job.run()).toBe('cancelled');
    expect(called).toEqual([1]);
  });

  it('are not called for a task without init whose run never started', async () => {
    // Rule 7: "whose init (or run, if it has no init) was started". Task 2's run never starts:
    // the run loops start together after every init, and task 1's init fails first.
    const called: number[] = [];
    const job = new Job();
    job.addTask(() => ({
      async init() {
        await sleep(5);
        throw new Error('init failed');
      },
      finalize: (t) => void called.push(t.index),
    }));
    let ran = false;
    job.addTask(() => ({
      run() {
        ran = true;
      },
      finalize: (t) => void called.push(t.index),
    }));
    expect(await job.run()).toBe('cancelled');
    expect(ran).toBe(false);
    expect(called).toEqual([1]);
  });

  it('are called once each even when cancel is called many times', async () => {
    let n = 0;
    const job = new Job();
    job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal), finalize: () => void n++ }));
    const p = job.run();
    await sleep(1);
    job.cancel();
    job.cancel();
    job.finish();
    await p;
    job.cancel();
    await sleep(5);
    expect(n).toBe(1);
  });

  it('a finalizer that never settles holds run() (finalizers are awaited)', async () => {
    // The contract says finalizers are awaited; a hanging one therefore holds run(). This test
    // documents that behaviour so a change is deliberate.
    const job = new Job();
    job.addTask(() => ({ run: (t) => t.done(), finalize: () => new Promise<void>(() => {}) }));
    expect(await settledWithin(job.run(), 50)).toBe('pending');
  });
});

describe('rule 8: quiet at scale', () => {
  it('thousands of listeners on job.signal print no warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const job = new Job();
      for (let i = 0; i < 2000; i++) {
        job.addTask(() => ({
          async run(t) {
            await once(new EventEmitter(), 'never', { signal: t.signal });
          },
        }));
        job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
      }
      const p = job.run();
      await sleep(10);
      job.cancel();
      expect(await p).toBe('cancelled');
      await sleep(10);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
  });

  it('many jobs on one parent signal: at most one listener each while running, none after', async () => {
    const parent = new AbortController();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const jobs = Array.from({ length: 50 }, () => {
        const j = new Job(undefined, { signal: parent.signal });
        for (let i = 0; i < 20; i++) j.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
        return j;
      });
      const ps = jobs.map((j) => j.run());
      await sleep(5);
      expect(getEventListeners(parent.signal, 'abort').length).toBeLessThanOrEqual(50);
      parent.abort(new Error('all'));
      expect(await Promise.all(ps)).toEqual(jobs.map(() => 'cancelled'));
      expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
      await sleep(5);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).toEqual([]);
  });
});

describe('rule 9: task states', () => {
  it('pending before start; running while running; finished after done(); failed on failure', async () => {
    const job = new Job();
    const gate = deferred();
    const seen: string[] = [];
    const a = job.addTask(() => ({
      init(t) {
        seen.push(`init ${t.state}`);
      },
      async run(t) {
        seen.push(`run ${t.state}`);
        await gate.promise;
        t.done();
        seen.push(`after done ${t.state}`);
      },
    }));
    const b = job.addTask(() => ({ run: (t) => blockUntilAborted(t.signal) }));
    const c = job.addTask(() => ({
      async run() {
        await sleep(20);
        throw new Error('c fails');
      },
    }));
    expect([a.state, b.state, c.state]).toEqual(['pending', 'pending', 'pending']);
    const p = job.run();
    await sleep(1);
    expect([a.state, b.state, c.state]).toEqual(['running', 'running', 'running']);
    gate.resolve();
    expect(await p).toBe('cancelled');
    expect(seen.slice(0, 2)).toEqual(['init running', 'run running']);
    expect(a.state).toBe(TaskState.Finished);
    expect(b.state).toBe(TaskState.Running);
    expect(c.state).toBe(TaskState.Failed);
  });

  it('a task that called done() is finished even if its run is still unwinding when the job ends', async () => {
    const job = new Job();
    const a = job.addTask(() => ({
      async run(t) {
        t.done();
        await blockUntilAborted(t.signal).catch(() => {});
      },
    }));
    job.addTask(() => ({
      async run() {
        await sleep(5);
        throw new Error('fail');
      },
    }));
    expect(await job.run()).toBe('cancelled');
    expect(a.state).toBe('finished');
  });

  it('exports the state constants', () => {
    expect(JobState).toEqual({
      New: 'new',
      OneshotRunning: 'oneshot-running',
      RecurrentRunning: 'recurrent-running',
      Finalizing: 'finalizing',
      Cancelled: 'cancelled',
      Done: 'done',
    });
    expect(TaskState).toEqual({
      Pending: 'pending',
      Running: 'running',
      Failed: 'failed',
      Finished: 'finished',
    });
  });
});
