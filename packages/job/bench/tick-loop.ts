// Scenario 2: one task ticking 1,000,000 times with a synchronous `run`, against a plain for
// loop with `await null` and a yield to the event loop about every 1 ms. Target: ≤ 2×.
import { Effect } from 'effect';
import { run as effectionRun, lift, sleep } from 'effection';
import { Job } from '../src/index.js';
import { immediate, mustEnd, report, timeEach } from './common.js';

const N = 1_000_000;
let sink = 0;

async function baseline(): Promise<void> {
  let sliceStart = performance.now();
  for (let i = 0; i < N; i++) {
    sink += i;
    await null;
    // Reading the clock costs; a careful hand-written loop checks it every 32 iterations.
    if ((i & 31) === 0 && performance.now() - sliceStart >= 1) {
      await immediate();
      sliceStart = performance.now();
    }
  }
}

async function job(): Promise<void> {
  const j = new Job();
  let i = 0;
  j.addTask(() => ({
    run(t) {
      sink += i;
      if (++i === N) t.done();
    },
  }));
  mustEnd(await j.run(), 'done');
}

function effect(): Promise<void> {
  let i = 0;
  // Effect's fiber runtime yields to the event loop by itself (its scheduler's op budget).
  return Effect.runPromise(
    Effect.whileLoop({
      while: () => i < N,
      body: () =>
        Effect.sync(() => {
          sink += i;
          i++;
        }),
      step: () => {},
    }),
  );
}

const step = lift((i: number) => {
  sink += i;
});

function effection(): Promise<void> {
  return effectionRun(function* () {
    let sliceStart = performance.now();
    for (let i = 0; i < N; i++) {
      yield* step(i);
      // Effection does not yield to the event loop by itself: do what the baseline does.
      if ((i & 31) === 0 && performance.now() - sliceStart >= 1) {
        yield* sleep(0);
        sliceStart = performance.now();
      }
    }
  });
}

const ms = await timeEach(
  { baseline, job, effect, effection },
  { time: 0, iterations: 3, rounds: 5 },
  { perColumn: { effection: { iterations: 1, rounds: 1 } } },
);
report({
  id: 'tick-loop',
  title: `one task ticking ${N.toLocaleString('en')} times`,
  unit: 'ns CPU/tick',
  target: 2,
  values: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, (v * 1e6) / N])),
  notes: [`sink ${sink > 0}`],
});
