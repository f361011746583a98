// Property-based tests: random mixes of tasks that finish, fail, idle, block, time out and get
// cancelled from outside. Invariants from the contract (rules 3, 6, 7, 8) and the issue (no timer,
// no listener, no unhandled rejection, no warning left behind).
import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Job, type TaskRoutines } from '../src/index.js';
import { collectProcessNoise, settledWithin, sleepUnlessAborted, trackTimers } from './helpers.js';

type Behaviour =
  | { kind: 'finish'; iterations: number; awaitMs: number }
  | { kind: 'fail-init'; afterMs: number }
  | { kind: 'fail-run'; afterMs: number; sync: boolean }
  | { kind: 'idle'; idleTimeout: number | undefined }
  | { kind: 'block'; idleTimeout: number | undefined }
  | { kind: 'finish-job'; afterMs: number }
  | { kind: 'no-run' };

interface TaskSpec {
  behaviour: Behaviour;
  hasInit: boolean;
  asyncFinalize: boolean;
  throwingFinalize: boolean;
}

type Outside =
  | { kind: 'none' }
  | { kind: 'cancel'; atMs: number }
  | { kind: 'finish'; atMs: number }
  | { kind: 'parent-abort'; atMs: number }
  | { kind: 'parent-pre-aborted' };

interface Scenario {
  oneshot: TaskSpec | undefined;
  tasks: TaskSpec[];
  timeout: number;
  outside: Outside;
}

const ms = fc.integer({ min: 0, max: 15 });
const behaviour: fc.Arbitrary<Behaviour> = fc.oneof(
  fc.record({
    kind: fc.constant('finish' as const),
    iterations: fc.integer({ min: 1, max: 20 }),
    awaitMs: fc.integer({ min: -1, max: 3 }),
  }),
  fc.record({ kind: fc.constant('fail-init' as const), afterMs: fc.integer({ min: -1, max: 15 }) }),
  fc.record({ kind: fc.constant('fail-run' as const), afterMs: ms, sync: fc.boolean() }),
  fc.record({
    kind: fc.constant('idle' as const),
    idleTimeout: fc.option(fc.integer({ min: 5, max: 30 }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('block' as const),
    idleTimeout: fc.option(fc.integer({ min: 5, max: 30 }), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('finish-job' as const), afterMs: ms }),
  fc.record({ kind: fc.constant('no-run' as const) }),
);
const taskSpec: fc.Arbitrary<TaskSpec> = fc.record({
  behaviour,
  hasInit: fc.boolean(),
  asyncFinalize: fc.boolean(),
  throwingFinalize: fc.boolean(),
});
const oneshotSpec: fc.Arbitrary<TaskSpec> = fc.record({
  behaviour: fc.oneof(
    fc.record({
      kind: fc.constant('finish' as const),
      iterations: fc.constant(1),
      awaitMs: fc.integer({ min: -1, max: 5 }),
    }),
    fc.record({ kind: fc.constant('fail-run' as const), afterMs: ms, sync: fc.boolean() }),
    fc.record({ kind: fc.constant('block' as const), idleTimeout: fc.constant(undefined) }),
  ),
  hasInit: fc.boolean(),
  asyncFinalize: fc.boolean(),
  throwingFinalize: fc.boolean(),
});
const scenario: fc.Arbitrary<Scenario> = fc.record({
  oneshot: fc.option(oneshotSpec, { nil: undefined }),
  tasks: fc.array(taskSpec, { minLength: 0, maxLength: 12 }),
  timeout: fc.integer({ min: 10, max: 50 }),
  outside: fc.oneof(
    fc.constant({ kind: 'none' as const }),
    fc.record({ kind: fc.constant('cancel' as const), atMs: fc.integer({ min: 0, max: 40 }) }),
    fc.record({ kind: fc.constant('finish' as const), atMs: fc.integer({ min: 0, max: 40 }) }),
    fc.record({
      kind: fc.constant('parent-abort' as const),
      atMs: fc.integer({ min: 0, max: 40 }),
    }),
    fc.constant({ kind: 'parent-pre-aborted' as const }),
  ),
});

/** Waits `ms` honouring the signal; a negative `ms` (a spec's "never") does not wait. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  return ms < 0 ? Promise.resolve() : sleepUnlessAborted(ms, signal);
}

function routines(
  spec: TaskSpec,
  key: number,
  log: { started: Set<number>; finalized: number[] },
): TaskRoutines {
  const b = spec.behaviour;
  const r: TaskRoutines = {};
  const markStarted = () => log.started.add(key);
  // A task with neither init nor run has nothing that could be "started": give it an init.
  if (spec.hasInit || b.kind === 'fail-init' || b.kind === 'no-run') {
    r.init = async (t) => {
      markStarted();
      if (b.kind === 'fail-init') {
        if (b.afterMs >= 0) await wait(b.afterMs, t.signal);
        throw new Error(`init ${key} failed`);
      }
    };
  }
  if (b.kind !== 'no-run' && b.kind !== 'fail-init') {
    let n = 0;
    r.run = (t) => {
      markStarted();
      switch (b.kind) {
        case 'finish':
          if (++n >= b.iterations) t.done();
          return b.awaitMs >= 0 ? wait(b.awaitMs, t.signal) : undefined;
        case 'fail-run':
          if (b.sync) throw new Error(`run ${key} failed`);
          return wait(b.afterMs, t.signal).then(() => {
            throw new Error(`run ${key} failed`);
          });
        case 'idle':
          t.idle();
          return undefined;
        case 'block':
          return wait(1e9, t.signal);
        case 'finish-job':
          return wait(b.afterMs, t.signal).then(() => t.finishJob());
      }
    };
  }
  r.finalize = async () => {
    log.finalized.push(key);
    if (spec.asyncFinalize) await new Promise<void>((res) => setImmediate(res));
    if (spec.throwingFinalize) throw new Error(`finalize ${key} failed`);
  };
  return r;
}

const idleTimeoutOf = (s: TaskSpec): number | undefined =>
  s.behaviour.kind === 'idle' || s.behaviour.kind === 'block' ? s.behaviour.idleTimeout : undefined;

describe('properties', () => {
  const { unhandled, warnings } = collectProcessNoise();

  it('random jobs end exactly once, finalize every started task once in reverse order, leave nothing behind', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        const timers = trackTimers();
        const parent = new AbortController();
        let outsideTimer: NodeJS.Timeout | undefined;
        try {
          if (sc.outside.kind === 'parent-pre-aborted') parent.abort(new Error('pre-aborted'));
          const job = new Job(undefined, { timeout: sc.timeout, signal: parent.signal });
          const log = { started: new Set<number>(), finalized: [] as number[] };
          // Keys are the order of adding: the oneshot first, then the recurrent tasks.
          const keys: number[] = [];
          if (sc.oneshot) {
            job.addOneshotTask(() => routines(sc.oneshot as TaskSpec, 0, log));
            keys.push(0);
          }
          sc.tasks.forEach((spec, i) => {
            job.addTask(() => routines(spec, i + 1, log), { idleTimeout: idleTimeoutOf(spec) });
            keys.push(i + 1);
          });

          let resolutions = 0;
          const p = job.run().then((s) => {
            resolutions++;
            return s;
          });
          const o = sc.outside;
          if (o.kind === 'cancel' || o.kind === 'finish' || o.kind === 'parent-abort') {
            outsideTimer = setTimeout(() => {
              if (o.kind === 'cancel') job.cancel(new Error('outside cancel'));
              else if (o.kind === 'finish') job.finish();
              else parent.abort(new Error('parent abort'));
            }, o.atMs);
          }

          const state = await settledWithin(p, 3000);
          expect(state === 'done' || state === 'cancelled').toBe(true);
          expect(await job.done).toBe(state);
          expect(job.state).toBe(state);
          expect(job.run()).toBeDefined();
          expect(await job.run()).toBe(state);
          expect(resolutions).toBe(1);

          // Rule 7: finalizers once each, for started tasks only, in reverse order of adding.
          const expected = keys.filter((k) => log.started.has(k)).reverse();
          expect(log.finalized).toEqual(expected);

          // Outcome consistency.
          expect(job.signal.aborted).toBe(true);
          if (state === 'cancelled') {
            expect(job.interruptedBy).toBeDefined();
            expect(job.signal.reason).toBe(job.interruptedBy?.error);
          } else {
            expect(job.interruptedBy).toBeUndefined();
          }
          const tasks = keys.map((k) => job.getTaskByIndex(k));
          const failed = tasks.filter((t) => t?.state === 'failed');
          expect(failed.length).toBeLessThanOrEqual(1);
          if (job.interruptedBy?.task) expect(failed).toEqual([job.interruptedBy.task]);

          // Nothing left behind.
          clearTimeout(outsideTimer);
          outsideTimer = undefined;
          await new Promise<void>((res) => setImmediate(res));
          expect(timers.pending()).toBe(0);
          expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0);
        } finally {
          clearTimeout(outsideTimer);
          timers.restore();
        }
      }),
      { numRuns: 80, interruptAfterTimeLimit: 25_000 },
    );
    expect(unhandled).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([]);
  }, 40_000);
});
