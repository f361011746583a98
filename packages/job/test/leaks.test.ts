// Every way a job can end leaves nothing behind: no timer or immediate of its own, no listener on
// a parent signal. The property test covers random mixes; this one each ending, by name.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Job, type TaskRoutines } from '../src/index.js';
import { blockUntilAborted, trackTimers } from './helpers.js';

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

type Ending = (job: Job, parent: AbortController) => void;

const cases: Array<
  [string, TaskRoutines[], Ending | undefined, { timeout?: number; idle?: number }]
> = [
  ['natural end', [{ run: (t) => t.done() }, { init: () => {} }], undefined, {}],
  [
    'finish() while a task idles in its back-off',
    [{ run: (t) => t.idle() }],
    (j) => setTimeout(() => j.finish(), 30),
    {},
  ],
  [
    'cancel() while tasks block',
    [{ run: (t) => blockUntilAborted(t.signal) }],
    (j) => setTimeout(() => j.cancel(), 5),
    {},
  ],
  [
    'a failing task',
    [
      { run: (t) => blockUntilAborted(t.signal) },
      {
        async run() {
          throw new Error('x');
        },
      },
    ],
    undefined,
    {},
  ],
  [
    'the job timeout',
    [{ run: (t) => t.idle() }, { run: (t) => blockUntilAborted(t.signal) }],
    undefined,
    { timeout: 20 },
  ],
  ['an idle timeout', [{ run: (t) => t.idle() }], undefined, { idle: 15, timeout: 60_000 }],
  [
    'a parent abort',
    [{ run: (t) => blockUntilAborted(t.signal) }],
    (_j, p) => setTimeout(() => p.abort(), 5),
    { timeout: 60_000 },
  ],
  [
    'a never-awaiting run, ended by finishJob',
    [
      { run: (t) => t.tick() },
      {
        run: (t) => {
          setTimeout(() => t.finishJob(), 10);
          t.done();
        },
      },
    ],
    undefined,
    { timeout: 60_000 },
  ],
];

describe('nothing left behind', () => {
  for (const [name, tasks, ending, opts] of cases) {
    it(`after ${name}`, async () => {
      const timers = trackTimers();
      try {
        const parent = new AbortController();
        const job = new Job(undefined, { signal: parent.signal, timeout: opts.timeout });
        for (const routines of tasks) job.addTask(() => routines, { idleTimeout: opts.idle });
        const p = job.run();
        ending?.(job, parent);
        const state = await p;
        expect(['done', 'cancelled']).toContain(state);
        await immediate();
        expect(timers.pending()).toBe(0);
        expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
      } finally {
        timers.restore();
      }
    });
  }
});
