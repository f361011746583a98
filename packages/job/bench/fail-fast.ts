// Scenario: 10,000 tasks pending (blocked in an await that honours the signal), one fails, and
// the group ends once every finalizer has run — the whole life, set-up included, in CPU time.
// Baseline: the hand-written AbortController + Promise.allSettled group (hand-group.ts).
import { Job, type Task } from '../src/index.js';
import { blocked, mustEnd, report, timeEach } from './common.js';
import { type HandTask, startGroup } from './hand-group.js';

const N = 10_000;
let finalized = 0;
const boom = new Error('boom');

async function baseline(): Promise<void> {
  const tasks: HandTask[] = new Array(N + 1);
  for (let i = 0; i < N; i++) {
    tasks[i] = {
      run: (signal) => blocked(signal),
      finalize() {
        finalized++;
      },
    };
  }
  tasks[N] = {
    run() {
      throw boom;
    },
  };
  mustEnd(await startGroup(tasks).done, 'cancelled');
}

async function job(): Promise<void> {
  const j = new Job();
  for (let i = 0; i < N; i++) {
    j.addTask(() => ({
      run: (t: Task) => blocked(t.signal),
      finalize() {
        finalized++;
      },
    }));
  }
  j.addTask(() => ({
    run() {
      throw boom;
    },
  }));
  mustEnd(await j.run(), 'cancelled');
}

const ms = await timeEach({ baseline, job }, { time: 0, iterations: 5, rounds: 5 });
report({
  id: 'fail-fast',
  title: `${N.toLocaleString('en')} pending tasks, one fails, all finalizers done`,
  unit: 'ms CPU',
  target: 1,
  values: ms,
  notes: [`finalized ${finalized}`],
});
