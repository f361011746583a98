// Stress: thousands of tasks and jobs. Time bounds are generous (2 noisy cores); the benchmark
// in bench/ is where speed is measured.
import { EventEmitter, getEventListeners, once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { Channel, Job } from '../src/index.js';
import { collectProcessNoise, sleep } from './helpers.js';

describe('stress', () => {
  const { warnings, unhandled } = collectProcessNoise();
  afterAll(() => {
    expect(warnings.map((w) => `${w.name}: ${w.message}`)).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it('10,000 tasks in one job run to completion, each finalized once', async () => {
    const job = new Job<{ sum: number }>({ sum: 0 });
    let finalized = 0;
    for (let i = 0; i < 10_000; i++) {
      job.addTask((j) => ({
        init() {},
        async run(t) {
          j.value.sum += 1;
          await null;
          t.done();
        },
        finalize() {
          finalized++;
        },
      }));
    }
    const started = performance.now();
    expect(await job.run()).toBe('done');
    expect(performance.now() - started).toBeLessThan(5000);
    expect(job.value.sum).toBe(10_000);
    expect(finalized).toBe(10_000);
  });

  it('1,000 jobs at once, under one parent signal', async () => {
    const parent = new AbortController();
    const jobs = Array.from({ length: 1000 }, (_, n) => {
      const job = new Job(n, { signal: parent.signal, timeout: 10_000 });
      job.addOneshotTask(() => ({ run: (t) => t.done() }));
      for (let i = 0; i < 3; i++) {
        job.addTask(() => ({
          async run(t) {
            await sleep(1);
            t.done();
          },
        }));
      }
      return job;
    });
    const started = performance.now();
    const states = await Promise.all(jobs.map((j) => j.run()));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(states.every((s) => s === 'done')).toBe(true);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
  });

  it('1,000 running jobs cancelled through their parent end promptly', async () => {
    const parent = new AbortController();
    const jobs = Array.from({ length: 1000 }, () => {
      const job = new Job(undefined, { signal: parent.signal });
      job.addTask(() => ({
        async run(t) {
          await once(new EventEmitter(), 'never', { signal: t.signal });
        },
      }));
      return job;
    });
    const ps = jobs.map((j) => j.run());
    await sleep(5);
    expect(getEventListeners(parent.signal, 'abort').length).toBeLessThanOrEqual(1000);
    const started = performance.now();
    const reason = new Error('shutdown');
    parent.abort(reason);
    const states = await Promise.all(ps);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(states.every((s) => s === 'cancelled')).toBe(true);
    expect(jobs.every((j) => j.interruptedBy?.error === reason)).toBe(true);
  });

  it('cancelling a job whose 5,000 tasks are blocked in awaits ends it promptly', async () => {
    const job = new Job();
    const ch = new Channel<number>();
    const emitter = new EventEmitter();
    emitter.setMaxListeners(0); // our emitter: 2,500 listeners are the point here
    let finalized = 0;
    for (let i = 0; i < 5000; i++) {
      job.addTask(() => ({
        async run(t) {
          if (i % 2 === 0) await once(emitter, 'never', { signal: t.signal });
          else await ch.receive(t.signal);
        },
        finalize() {
          finalized++;
        },
      }));
    }
    const p = job.run();
    await sleep(20);
    expect(job.state).toBe('recurrent-running');
    const started = performance.now();
    job.cancel();
    expect(await p).toBe('cancelled');
    expect(performance.now() - started).toBeLessThan(2000);
    expect(finalized).toBe(5000);
    expect(emitter.listenerCount('never')).toBe(0);
  });
});
