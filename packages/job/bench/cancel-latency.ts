// Scenario 3: time from cancel() until run() has resolved, for a job whose 10,000 tasks are
// blocked in awaits that honour the job's signal. Baseline: aborting the hand-written
// AbortController + Promise.allSettled group (hand-group.ts). Target (issue 17): the fastest.
import { Effect, Fiber } from 'effect';
import { type Task as EffectionTask, run as effectionRun, spawn, suspend } from 'effection';
import { Job } from '../src/index.js';
import { blocked, immediate, report, timeEach } from './common.js';
import { type HandGroup, type HandTask, startGroup } from './hand-group.js';

const N = 10_000;

// Each column: `setup` starts N blocked tasks (not timed), `cancel` is the timed part.
let group: HandGroup;
let job: Job;
let jobDone: Promise<unknown>;
let fiber: Fiber.Fiber<unknown, unknown>;
let eTask: EffectionTask<void>;

const hooks = {
  baseline: {
    async beforeEach() {
      const tasks: HandTask[] = new Array(N);
      for (let i = 0; i < N; i++) tasks[i] = { run: (signal) => blocked(signal) };
      group = startGroup(tasks);
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
      group.controller.abort();
      await group.done;
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
  fastest: true,
  values: ms,
});
