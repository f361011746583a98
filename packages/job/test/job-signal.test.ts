// The job's signal keeps its 'abort' listeners in a Map (src/job-signal.ts, issue 17): every
// case below runs on a plain AbortController's signal and on a job's, and must log the same.
import { execFileSync } from 'node:child_process';
import { EventEmitter, getEventListeners, once } from 'node:events';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Job } from '../src/index.js';
import { collectProcessNoise } from './helpers.js';

interface Subject {
  signal: AbortSignal;
  abort(reason: unknown): void;
}

const native = (): Subject => {
  const ac = new AbortController();
  return { signal: ac.signal, abort: (reason) => ac.abort(reason) };
};
const ofJob = (): Subject => {
  const job = new Job();
  return { signal: job.signal, abort: (reason) => job.cancel(reason) };
};

/** Runs `scenario` on both signals; returns the job's log after checking it equals the native one. */
async function sameAsNative(
  scenario: (s: Subject, log: string[]) => void | Promise<void>,
): Promise<string[]> {
  const logs: string[][] = [];
  for (const make of [native, ofJob]) {
    const log: string[] = [];
    await scenario(make(), log);
    logs.push(log);
  }
  expect(logs[1]).toEqual(logs[0]);
  return logs[1] as string[];
}

describe('the job signal behaves as an EventTarget for abort listeners', () => {
  it('is an AbortSignal whose reason is the cancelling error', () => {
    const job = new Job();
    const { signal } = job;
    expect(signal).toBeInstanceOf(AbortSignal);
    const reason = new Error('stop');
    job.cancel(reason);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    expect(() => signal.throwIfAborted()).toThrow(reason);
  });

  it('runs listeners in order of adding, with `this` the signal, ignoring duplicates', async () => {
    const log = await sameAsNative(({ signal, abort }, log) => {
      const a = function (this: unknown, e: Event) {
        log.push(`a ${this === signal} ${e.type} ${e.target === signal}`);
      };
      const b = () => log.push('b');
      const handler = { handleEvent: (e: Event) => log.push(`handleEvent ${e.type}`) };
      signal.addEventListener('abort', a);
      signal.addEventListener('abort', handler);
      signal.addEventListener('abort', b, { once: true });
      signal.addEventListener('abort', a); // duplicate
      signal.addEventListener('abort', a, { once: true }); // duplicate: options do not matter
      signal.addEventListener('abort', a, true); // other capture: not a duplicate
      abort(new Error('x'));
      log.push(`reason ${(signal.reason as Error).message}`);
    });
    expect(log).toEqual([
      'a true abort true',
      'handleEvent abort',
      'b',
      'a true abort true',
      'reason x',
    ]);
  });

  it('removes by listener and capture; a listener removed during the dispatch does not run', async () => {
    const log = await sameAsNative(({ signal, abort }, log) => {
      const a = () => log.push('a');
      const b = () => log.push('b');
      const c = () => log.push('c');
      const d = () => log.push('d');
      signal.addEventListener('abort', a);
      signal.addEventListener('abort', b);
      signal.addEventListener('abort', () => {
        log.push('remover');
        signal.removeEventListener('abort', d);
      });
      signal.addEventListener('abort', c, { capture: true });
      signal.addEventListener('abort', d);
      signal.removeEventListener('abort', a);
      signal.removeEventListener('abort', b, { capture: true }); // b was not added with capture
      signal.removeEventListener('abort', c); // c was: stays
      signal.removeEventListener('abort', c, true); // Node reads no capture from a boolean here
      abort(undefined);
    });
    expect(log).toEqual(['b', 'remover', 'c']);
  });

  it('runs a listener added during the dispatch; one added after it never', async () => {
    const log = await sameAsNative(({ signal, abort }, log) => {
      signal.addEventListener('abort', () => {
        log.push('first');
        signal.addEventListener('abort', () => log.push('added during'));
      });
      signal.addEventListener('abort', () => log.push('second'));
      abort(undefined);
      signal.addEventListener('abort', () => log.push('added after'));
      signal.removeEventListener('abort', () => {});
    });
    expect(log).toEqual(['first', 'second', 'added during']);
  });

  it('honours once across a dispatchEvent by hand before the abort', async () => {
    const log = await sameAsNative(({ signal, abort }, log) => {
      signal.addEventListener('abort', () => log.push('once'), { once: true });
      signal.addEventListener('abort', () => log.push('always'));
      signal.dispatchEvent(new Event('abort'));
      abort(undefined);
    });
    expect(log).toEqual(['once', 'always', 'always']);
  });

  it('honours the signal option', async () => {
    const log = await sameAsNative(({ signal, abort }, log) => {
      const other = new AbortController();
      signal.addEventListener('abort', () => log.push('removed'), { signal: other.signal });
      const both = () => log.push('capture removed, the other kept');
      signal.addEventListener('abort', both, { capture: true, signal: other.signal });
      signal.addEventListener('abort', both);
      signal.addEventListener('abort', () => log.push('kept'), {
        signal: new AbortController().signal,
      });
      other.abort();
      signal.addEventListener('abort', () => log.push('never added'), { signal: other.signal });
      abort(undefined);
    });
    expect(log).toEqual(['capture removed, the other kept', 'kept']);
  });

  it('leaves nothing on the option signal once the listener is gone (removed, run once, or aborted)', () => {
    // EventTarget holds its remover weakly; the job signal takes it off instead, so a long-lived
    // signal given to every job's listener holds no job signal (and warns of no leak).
    const parent = new AbortController().signal;
    const on = () => getEventListeners(parent, 'abort').length;
    const removed = new Job().signal;
    const listener = () => {};
    removed.addEventListener('abort', listener, { signal: parent });
    expect(on()).toBe(1);
    removed.removeEventListener('abort', listener);
    expect(on()).toBe(0);
    const ranOnce = new Job();
    ranOnce.signal.addEventListener('abort', () => {}, { signal: parent, once: true });
    const aborted = new Job();
    aborted.signal.addEventListener('abort', () => {}, { signal: parent });
    aborted.signal.addEventListener('abort', () => {}, { signal: parent, capture: true });
    expect(on()).toBe(3);
    ranOnce.cancel();
    aborted.cancel();
    expect(on()).toBe(0);
  });

  it('stops at stopImmediatePropagation', async () => {
    const log = await sameAsNative(({ signal, abort }, log) => {
      signal.addEventListener('abort', (e) => {
        log.push('a');
        e.stopImmediatePropagation();
      });
      signal.addEventListener('abort', () => log.push('b'));
      abort(undefined);
    });
    expect(log).toEqual(['a']);
  });

  it('supports onabort, set and replaced', async () => {
    const log = await sameAsNative(({ signal, abort }, log) => {
      signal.onabort = () => log.push('first');
      signal.addEventListener('abort', () => log.push('listener'));
      signal.onabort = function (this: unknown) {
        log.push(`second ${this === signal}`);
      };
      abort(undefined);
    });
    expect(log).toEqual(['second true', 'listener']);
  });

  it('leaves other event types to EventTarget', async () => {
    const log = await sameAsNative(({ signal }, log) => {
      const x = () => log.push('x');
      signal.addEventListener('custom', x);
      signal.addEventListener('custom', x);
      signal.dispatchEvent(new Event('custom'));
      signal.removeEventListener('custom', x);
      signal.dispatchEvent(new Event('custom'));
    });
    expect(log).toEqual(['x']);
  });

  it('cancels what Node awaits on it: events.once, timers/promises, AbortSignal.any', async () => {
    const log = await sameAsNative(async ({ signal, abort }, log) => {
      const emitter = new EventEmitter();
      const settled = (p: Promise<unknown>, name: string) =>
        p.then(
          () => log.push(`${name} resolved`),
          (err: Error) => log.push(`${name} ${err.name} ${(err.cause as Error)?.message}`),
        );
      const resolved = settled(once(emitter, 'ready', { signal }), 'resolved once');
      emitter.emit('ready');
      await resolved;
      const all = Promise.all([
        settled(once(emitter, 'never', { signal }), 'once'),
        settled(sleepFor(60_000, undefined, { signal }), 'sleep'),
      ]);
      const any = AbortSignal.any([signal]);
      abort(new Error('gone'));
      await all;
      log.push(`any ${any.aborted} ${(any.reason as Error).message}`);
      log.push(`emitter listeners ${emitter.listenerCount('never')}`);
    });
    expect(log).toEqual([
      'resolved once resolved',
      'once AbortError gone',
      'sleep AbortError gone',
      'any true gone',
      'emitter listeners 0',
    ]);
  });

  it('reports a throwing or rejecting listener as uncaught and still runs the others', () => {
    // In a child process: an uncaught exception is the expected outcome there.
    const script = fileURLToPath(new URL('./fixtures/signal-listener-throws.ts', import.meta.url));
    const run = (kind: string) =>
      execFileSync(process.execPath, ['--import', 'tsx', script, kind], { encoding: 'utf8' });
    const nativeOut = run('native');
    expect(run('job')).toBe(nativeOut);
    expect(nativeOut).toBe('after throw\nafter reject\nuncaught sync boom\nuncaught async boom\n');
  });
});

describe('the job signal at scale (rule 8)', () => {
  const { warnings, unhandled } = collectProcessNoise();

  it('takes 10,000 listeners without a warning and calls each once', async () => {
    const job = new Job();
    let calls = 0;
    for (let i = 0; i < 10_000; i++) {
      job.signal.addEventListener('abort', () => calls++, { once: true });
    }
    job.cancel();
    expect(calls).toBe(10_000);
    await new Promise((r) => setImmediate(r));
    expect(warnings).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it('made after the job ended: aborted, with the reason, and quiet however many listen', async () => {
    const job = new Job();
    const reason = new Error('ended');
    job.cancel(reason);
    const { signal } = job; // first read after the end
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe(reason);
    let calls = 0;
    for (let i = 0; i < 100; i++) signal.addEventListener('abort', () => calls++);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(0);
    expect(warnings).toEqual([]);
  });
});
