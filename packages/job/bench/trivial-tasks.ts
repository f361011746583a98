// Scenario 1: a job of 10,000 trivial tasks run to completion, per task, against the
// hand-written AbortController + Promise.allSettled group (hand-group.ts). Target (issue 17):
// ≤ 1× the baseline per task.
import { Effect } from 'effect';
import { run as effectionRun, spawn } from 'effection';
import { Job } from '../src/index.js';
import { mustEnd, report, timeEach } from './common.js';
import { type HandTask, startGroup } from './hand-group.js';

const N = 10_000;
let sink = 0;

async function baseline(): Promise<void> {
  const tasks: HandTask[] = new Array(N);
  for (let i = 0; i < N; i++) {
    tasks[i] = {
      run(signal) {
        if (signal.aborted) return;
        sink += i;
      },
    };
  }
  mustEnd(await startGroup(tasks).done, 'done');
}

async function job(): Promise<void> {
  const j = new Job();
  for (let i = 0; i < N; i++) {
    j.addTask(() => ({
      run(t) {
        sink += i;
        t.done();
      },
    }));
  }
  mustEnd(await j.run(), 'done');
}

const indices = Array.from({ length: N }, (_, i) => i);

function effect(): Promise<void> {
  return Effect.runPromise(
    Effect.forEach(
      indices,
      (i) =>
        Effect.sync(() => {
          sink += i;
        }),
      { concurrency: 'unbounded', discard: true },
    ),
  );
}

function effection(): Promise<void> {
  return effectionRun(function* () {
    const tasks = [];
    for (let i = 0; i < N; i++) {
      tasks.push(
        // biome-ignore lint/correctness/useYield: the scenario's task is trivial on purpose
        yield* spawn(function* () {
          sink += i;
        }),
      );
    }
    for (const t of tasks) yield* t;
  });
}

const ms = await timeEach(
  { baseline, job, effect, effection },
  { time: 250, iterations: 20, rounds: 7 },
  // Effection spends seconds on 10,000 spawns: two runs tell enough.
  { perColumn: { effection: { time: 0, iterations: 2, rounds: 1 } } },
);
const perTaskUs = Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, (v * 1000) / N]));
report({
  id: 'trivial-tasks',
  title: `${N.toLocaleString('en')} trivial tasks to completion`,
  unit: 'µs CPU/task',
  target: 1,
  values: perTaskUs,
  notes: [`sink ${sink > 0}`],
});
