// Shared by the scenario files: how a figure is measured and reported to run.ts.
import { Bench } from 'tinybench';

export type Column = 'baseline' | 'job' | 'effect' | 'effection';

export interface ScenarioResult {
  id: string;
  title: string;
  unit: string;
  /** The target for `job`, as a maximum ratio against the baseline. */
  target?: number;
  /** The target for `job` as an absolute maximum, in `unit`. */
  limit?: number;
  /** The target: `job` is the lowest of all columns. */
  fastest?: boolean;
  values: Partial<Record<Column, number>>;
  notes?: string[];
}

/** Prints the result as the last stdout line, for run.ts (or a human) to read. */
export function report(result: ScenarioResult): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export interface Budget {
  /** tinybench time budget per run, ms (0: iterations only). */
  time: number;
  /** tinybench minimum iterations per run. */
  iterations: number;
  /** Runs, interleaved across the columns; the figure is the median of their means. */
  rounds: number;
}

/**
 * The clock of every timing: CPU time of this process (user + system, GC threads included), in
 * ms. On a shared 2-core machine with a load of 10, wall time mostly measures the neighbours;
 * every scenario here is CPU-bound, so CPU time is its cost.
 */
export function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Mean CPU time of one call of each function, in ms (GC included: it is part of the cost),
 * measured by tinybench; the figure is the median over the rounds. The columns take turns,
 * round after round, each on a freshly collected heap, so that a noisy neighbour or another
 * column's garbage hits them alike; `perColumn` trims the budget of a column that is very slow.
 */
export async function timeEach(
  fns: Partial<Record<Column, () => unknown>>,
  budget: Budget,
  opts: {
    hooks?: Partial<Record<Column, Hooks>>;
    perColumn?: Partial<Record<Column, Partial<Budget>>>;
  } = {},
): Promise<Partial<Record<Column, number>>> {
  const samples: Partial<Record<Column, number[]>> = {};
  const maxRounds = Math.max(
    budget.rounds,
    ...Object.values(opts.perColumn ?? {}).map((b) => b?.rounds ?? 0),
  );
  for (let round = 0; round < maxRounds; round++) {
    for (const [name, fn] of Object.entries(fns) as [Column, () => unknown][]) {
      const b = { ...budget, ...opts.perColumn?.[name] };
      if (round >= b.rounds) continue;
      const bench = new Bench({
        time: b.time,
        iterations: b.iterations,
        warmup: round === 0,
        warmupTime: 0,
        warmupIterations: 1,
        throws: true,
        now: cpuNow,
      });
      // `async: true`: no detection call, which would run the timed part outside its hooks.
      bench.add(name, fn, { ...opts.hooks?.[name], async: true });
      // Start each column on a collected heap: garbage left by the previous column is not its debt.
      (globalThis as { gc?: () => void }).gc?.();
      await bench.run();
      const task = bench.tasks[0];
      const r = task?.result;
      if (r?.state !== 'completed') throw new Error(`${name}: ${r?.state}`);
      const list = samples[name] ?? [];
      samples[name] = list;
      list.push(r.latency.mean);
    }
  }
  const out: Partial<Record<Column, number>> = {};
  for (const [name, xs] of Object.entries(samples) as [Column, number[]][]) out[name] = median(xs);
  return out;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1
    ? (s[mid] as number)
    : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export interface Hooks {
  beforeEach?: () => void | Promise<void>;
  afterEach?: () => void | Promise<void>;
}

/**
 * Stops the scenario if a run ended otherwise than it must: its figure would measure something
 * else.
 */
export function mustEnd(state: string, expected: string): void {
  if (state !== expected) throw new Error(`the run ended ${state}, not ${expected}`);
}

/** A promise that rejects when `signal` aborts: a task blocked in an await that honours it. */
export function blocked(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g === undefined) throw new Error('run with --expose-gc (bench/run.ts does)');
  g();
  g();
}
