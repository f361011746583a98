// Scenario 4: heap bytes per pending task (started, blocked in an await on the job signal).
// Baseline: the hand-written group (hand-group.ts). Target (issue 17): ≤ 1 KiB for the job.
import { Effect, Fiber } from 'effect';
import { run as effectionRun, spawn, suspend } from 'effection';
import { Job } from '../src/index.js';
import { blocked, gc, immediate, median, report } from './common.js';
import { type HandTask, startGroup } from './hand-group.js';

const N = 10_000;

/** Heap growth per task while N tasks are pending, median of a few rounds. */
async function perTask(start: () => Promise<() => Promise<void>>, rounds = 7): Promise<number> {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const stop = await start();
    await immediate();
    gc();
    const after = process.memoryUsage().heapUsed;
    await stop();
    samples.push((after - before) / N);
  }
  return median(samples);
}

const values = {
  baseline: await perTask(async () => {
    const tasks: HandTask[] = new Array(N);
    for (let i = 0; i < N; i++) tasks[i] = { run: (signal) => blocked(signal) };
    const group = startGroup(tasks);
    return async () => {
      group.controller.abort();
      await group.done;
    };
  }),
  job: await perTask(async () => {
    const job = new Job();
    for (let i = 0; i < N; i++) job.addTask(() => ({ run: (t) => blocked(t.signal) }));
    const done = job.run();
    return async () => {
      job.cancel();
      await done;
    };
  }),
  effect: await perTask(async () => {
    const fiber = Effect.runFork(
      Effect.forEach(Array.from({ length: N }), () => Effect.never, {
        concurrency: 'unbounded',
        discard: true,
      }),
    );
    return async () => {
      await Effect.runPromise(Fiber.interrupt(fiber));
    };
  }),
  effection: await perTask(async () => {
    const task = effectionRun(function* () {
      for (let i = 0; i < N; i++) yield* spawn(() => suspend());
      yield* suspend();
    });
    return async () => {
      await task.halt();
    };
  }, 2),
};

report({
  id: 'heap-per-task',
  title: 'heap per pending task',
  unit: 'bytes',
  limit: 1024,
  values,
});
