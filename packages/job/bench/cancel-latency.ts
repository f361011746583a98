// Scenario 3: time from cancel() until run() has resolved, for a job whose 10,000 tasks are
// blocked in awaits that honour the job's signal. Baseline: aborting an AbortController under
// 10,000 promises and awaiting Promise.allSettled.
import { setMaxListeners } from 'node:events';
import { Effect, Fiber } from 'effect';
import { type Task as EffectionTask, run as effectionRun, spawn, suspend } from 'effection';
import { Job } from '../src/index.js';
import { blocked, immediate, report, timeEach } from './common.js';

const N = 10_000;

// Each column: `setup` starts N blocked tasks (not timed), `cancel` is the timed part.
let ac: AbortController;
let all: Promise<unknown>;
let job: Job;
let jobDone: Promise<unknown>;
let fiber: Fiber.Fiber<unknown, unknown>;
let eTask: EffectionTask<void>;

const hooks = {
  baseline: {
    async beforeEach() {
      ac = new AbortController();
      setMaxListeners(0, ac.signal);
      const ps: Promise<unknown>[] = new Array(N);
      for (let i = 0; i < N; i++) ps[i] = (async () => blocked(ac.signal))();
      all = Promise.allSettled(ps);
      await immediate();
    },
  },
  job: {
    async beforeEach() {
      job = new Job();
      for (let i = 0; i < N; i++) job.addTask(() => ({ run: (t) => blocked(t.signal) }));
      jobDone = job.run();
      await immediate();
    },
  },
  effect: {
    async beforeEach() {
      fiber = Effect.runFork(
        Effect.forEach(Array.from({ length: N }), () => Effect.never, {
          concurrency: 'unbounded',
          discard: true,
        }),
      );
      await immediate();
    },
  },
  effection: {
    async beforeEach() {
      eTask = effectionRun(function* () {
        for (let i = 0; i < N; i++) yield* spawn(() => suspend());
        yield* suspend();
      });
      await immediate();
    },
  },
};

const ms = await timeEach(
  {
    async baseline() {
      ac.abort();
      await all;
    },
    async job() {
      job.cancel();
      await jobDone;
    },
    effect: () => Effect.runPromise(Fiber.interrupt(fiber)),
    async effection() {
      await eTask.halt();
    },
  },
  { time: 0, iterations: 5, rounds: 5 },
  { hooks, perColumn: { effection: { iterations: 2, rounds: 1 } } },
);
report({
  id: 'cancel-latency',
  title: `cancel() → run() resolved, ${N.toLocaleString('en')} blocked tasks`,
  unit: 'ms CPU',
  values: ms,
});
