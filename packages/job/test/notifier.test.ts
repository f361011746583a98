// Notifier, rule by rule: park until notified, abort-aware, O(1) per waiter, nothing left behind.
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Job, JobError, Notifier, NotifierAbortedError, type Task } from '../src/index.js';
import { abortWhileWaiting, sleep, trackTimers } from './helpers.js';

/** Settles what is already resolvable, and reports which of the promises have settled. */
async function settled(promises: Promise<unknown>[]): Promise<boolean[]> {
  const flags = promises.map(() => false);
  promises.forEach((p, i) => {
    p.then(
      () => {
        flags[i] = true;
      },
      () => {
        flags[i] = true;
      },
    );
  });
  await new Promise<void>((resolve) => setImmediate(resolve));
  return flags;
}

describe('Notifier: waking', () => {
  it('wait() parks until notify(), then resolves true', async () => {
    const n = new Notifier();
    const p = n.wait();
    expect(n.waiting).toBe(1);
    expect(await settled([p])).toEqual([false]);
    expect(n.notify()).toBe(true);
    await expect(p).resolves.toBe(true);
    expect(n.waiting).toBe(0);
  });

  it('notify() wakes exactly one waiter, the longest-parked first (FIFO)', async () => {
    const n = new Notifier();
    const order: number[] = [];
    const ps = [1, 2, 3].map((i) => n.wait().then(() => order.push(i)));
    n.notify();
    expect(await settled(ps)).toEqual([true, false, false]);
    n.notify();
    n.notify();
    await Promise.all(ps);
    expect(order).toEqual([1, 2, 3]);
  });

  it('a notification nobody waits for is not remembered (like sync.Cond.Signal)', async () => {
    const n = new Notifier();
    expect(n.notify()).toBe(false);
    expect(n.notifyAll()).toBe(0);
    const p = n.wait();
    expect(await settled([p])).toEqual([false]);
    n.notify();
    await p;
  });

  it('notifyAll() wakes every waiter parked now, and not one that parks later', async () => {
    const n = new Notifier();
    const ps = [n.wait(), n.wait(), n.wait()];
    expect(n.notifyAll()).toBe(3);
    expect(n.waiting).toBe(0);
    const late = n.wait();
    expect(await settled([...ps, late])).toEqual([true, true, true, false]);
    n.notify();
    await late;
  });

  it('a waiter that re-parks at once from its wake-up is woken only by the next notification', async () => {
    const n = new Notifier();
    let wakes = 0;
    const loop = (async () => {
      while (wakes < 3) {
        await n.wait();
        wakes++;
      }
    })();
    for (let i = 0; i < 3; i++) {
      await sleep(1);
      n.notifyAll();
    }
    await loop;
    expect(wakes).toBe(3);
  });

  it('the condition loop: check, park, re-check — no lost wake-up', async () => {
    const n = new Notifier();
    const queue: number[] = [];
    const taken: number[] = [];
    const consumer = (async () => {
      while (taken.length < 5) {
        while (queue.length === 0) await n.wait();
        taken.push(queue.shift() as number);
      }
    })();
    for (let i = 0; i < 5; i++) {
      queue.push(i);
      n.notify(); // sometimes nobody is parked yet: the consumer sees the queue before parking
      if (i % 2 === 0) await sleep(1);
    }
    await consumer;
    expect(taken).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('Notifier: abort', () => {
  it('rejects with NotifierAbortedError (code, cause: the reason) when the signal aborts', async () => {
    const n = new Notifier();
    const { err, reason } = await abortWhileWaiting((signal) => n.wait(signal));
    expect(err).toBeInstanceOf(NotifierAbortedError);
    expect(err).toBeInstanceOf(JobError);
    expect((err as NotifierAbortedError).code).toBe('ERR_NOTIFIER_ABORTED');
    expect((err as Error).cause).toBe(reason);
    expect(n.waiting).toBe(0);
  });

  it('rejects at once for a signal already aborted, without parking', async () => {
    const n = new Notifier();
    const p = n.wait(AbortSignal.abort('gone'));
    expect(n.waiting).toBe(0);
    await expect(p).rejects.toMatchObject({ code: 'ERR_NOTIFIER_ABORTED', cause: 'gone' });
  });

  it('an aborted waiter leaves the queue: the next notify() goes to the one behind it', async () => {
    const n = new Notifier();
    const ac = new AbortController();
    const first = n.wait(ac.signal).catch((e: unknown) => e);
    const second = n.wait();
    ac.abort();
    await first;
    expect(n.waiting).toBe(1);
    expect(n.notify()).toBe(true);
    await expect(second).resolves.toBe(true);
  });

  it('a notified waiter is not rejected by a later abort', async () => {
    const n = new Notifier();
    const ac = new AbortController();
    const p = n.wait(ac.signal);
    n.notify();
    ac.abort();
    await expect(p).resolves.toBe(true);
  });

  it('the end of a job releases a task parked on task.signal', async () => {
    const n = new Notifier();
    const job = new Job(undefined, { timeout: 20 });
    let seen: unknown;
    job.addTask(() => ({
      async run(task: Task) {
        try {
          await n.wait(task.signal);
        } catch (err) {
          seen = err;
          throw err;
        }
      },
    }));
    expect(await job.run()).toBe('cancelled');
    await sleep(0);
    expect(seen).toBeInstanceOf(NotifierAbortedError);
    expect((seen as Error).cause).toMatchObject({ code: 'ERR_JOB_TIMEOUT' });
    expect(n.waiting).toBe(0);
  });
});

describe('Notifier: timeout', () => {
  it('resolves false after timeoutMs when nobody notifies', async () => {
    const n = new Notifier();
    const t0 = performance.now();
    await expect(n.wait(undefined, 10)).resolves.toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(8);
    expect(n.waiting).toBe(0);
  });

  it('a notification before the timeout resolves true and clears the timer', async () => {
    const timers = trackTimers();
    try {
      const n = new Notifier();
      const p = n.wait(undefined, 60_000);
      n.notify();
      await expect(p).resolves.toBe(true);
      expect(timers.pending()).toBe(0);
    } finally {
      timers.restore();
    }
  });

  it('refuses a negative, NaN or infinite timeout with JobError', async () => {
    const n = new Notifier();
    for (const ms of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(n.wait(undefined, ms)).rejects.toMatchObject({ code: 'ERR_JOB' });
    }
    expect(n.waiting).toBe(0);
  });
});

describe('Notifier: quiet at scale, nothing left behind', () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  beforeEach(() => {
    warnings.length = 0;
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });

  it('10,000 waiters on one plain signal: one listener, no warning, all rejected on abort', async () => {
    const n = new Notifier();
    const ac = new AbortController(); // not setMaxListeners(0): a user's signal
    const ps = Array.from({ length: 10_000 }, () => n.wait(ac.signal).catch((e: unknown) => e));
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    ac.abort();
    const errors = await Promise.all(ps);
    expect(errors.every((e) => e instanceof NotifierAbortedError)).toBe(true);
    expect(n.waiting).toBe(0);
    await sleep(0); // warnings are emitted on the next tick
    expect(warnings).toEqual([]);
  });

  it('woken waiters leave no listener on their signal, and no timer', async () => {
    const timers = trackTimers();
    try {
      const n = new Notifier();
      const ac = new AbortController();
      const ps = Array.from({ length: 100 }, (_, i) =>
        n.wait(ac.signal, i % 2 ? 60_000 : undefined),
      );
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
      n.notify();
      n.notifyAll();
      await Promise.all(ps);
      expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
      expect(timers.pending()).toBe(0);
    } finally {
      timers.restore();
    }
  });

  it('waiters aborted one by one in any order leave a consistent queue', async () => {
    const n = new Notifier();
    const acs = Array.from({ length: 50 }, () => new AbortController());
    const ps = acs.map((ac) =>
      n.wait(ac.signal).then(
        () => 'woken',
        () => 'aborted',
      ),
    );
    // abort every third one, from the middle, the tail and the head
    for (let i = 49; i >= 0; i -= 3) acs[i]?.abort();
    acs[0]?.abort();
    await sleep(0);
    const aborted = new Set([0, ...Array.from({ length: 17 }, (_, k) => 49 - 3 * k)]);
    expect(n.waiting).toBe(50 - aborted.size);
    expect(n.notifyAll()).toBe(50 - aborted.size);
    const outcomes = await Promise.all(ps);
    expect(outcomes).toEqual(outcomes.map((_, i) => (aborted.has(i) ? 'aborted' : 'woken')));
  });
});
