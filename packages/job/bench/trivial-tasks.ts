// Scenario 1: a job of 10,000 trivial tasks run to completion, per task, against Promise.all
// with an AbortController (what one writes by hand). Target: ≤ 3× the baseline per task.
import { setMaxListeners } from 'node:events';
import { Effect } from 'effect';
import { run as effectionRun, spawn } from 'effection';
import { Job } from '../src/index.js';
import { report, timeEach } from './common.js';

const N = 10_000;
let sink = 0;

async function baseline(): Promise<void> {
  const ac = new AbortController();
  setMaxListeners(0, ac.signal);
  const task = async (i: number, signal: AbortSignal): Promise<void> => {
    if (signal.aborted) return;
    sink += i;
  };
  const tasks: Promise<void>[] = new Array(N);
  for (let i = 0; i < N; i++) tasks[i] = task(i, ac.signal);
  try {
    await Promise.all(tasks);
  } finally {
    ac.abort();
  }
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
  const state = await j.run();
  if (state !== 'done') throw new Error(state);
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
  target: 3,
  values: perTaskUs,
  notes: [`sink ${sink > 0}`],
});
