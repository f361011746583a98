// Runs every scenario in its own child process (isolated heaps and JIT state, and --expose-gc
// for the heap scenario), then prints one table with each column's ratio against the baseline.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Column, median, type ScenarioResult } from './common.js';

const scenarios = ['trivial-tasks', 'fail-fast', 'tick-loop', 'cancel-latency', 'heap-per-task'];
const columns: Column[] = ['baseline', 'job', 'effect', 'effection'];
const heading: Record<Column, string> = {
  baseline: 'baseline',
  job: '@tcpbalancer/job',
  effect: 'Effect 4',
  effection: 'Effection 4',
};

/**
 * `--repeat=N` (default 1): each scenario process runs N times, the scenarios taking turns, and
 * each column's figure is the median over the runs — on a shared, loaded machine one run of a
 * scenario can land on a noisy minute.
 */
const repeatArg = process.argv.find((a) => a.startsWith('--repeat='));
const repeat = Math.max(1, Number(repeatArg?.slice('--repeat='.length) ?? 1) || 1);
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));

const runs = new Map<string, ScenarioResult[]>();
for (let round = 0; round < repeat; round++) {
  for (const name of scenarios) {
    if (only.length > 0 && !only.includes(name)) continue;
    const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
    process.stderr.write(`running ${name} (${round + 1}/${repeat})…\n`);
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', file], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const last = out.trim().split('\n').at(-1) ?? '';
    const list = runs.get(name) ?? [];
    list.push(JSON.parse(last) as ScenarioResult);
    runs.set(name, list);
  }
}
const results: ScenarioResult[] = [...runs.values()].map((list) => {
  const first = list[0] as ScenarioResult;
  const values: ScenarioResult['values'] = {};
  for (const c of columns) {
    const xs = list.map((r) => r.values[c]).filter((v): v is number => v !== undefined);
    if (xs.length > 0) values[c] = median(xs);
  }
  return { ...first, values };
});

const fmt = (v: number): string =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);

const rows: string[][] = [['scenario', 'unit', ...columns.map((c) => heading[c]), 'target (job)']];
for (const r of results) {
  const base = r.values.baseline;
  const cells = columns.map((c) => {
    const v = r.values[c];
    if (v === undefined) return '–';
    if (c === 'baseline' || base === undefined || base === 0) return fmt(v);
    return `${fmt(v)} (${(v / base).toFixed(2)}×)`;
  });
  rows.push([r.title, r.unit, ...cells, verdict(r)]);
}

/** The target for the job column, and whether this run met it. */
function verdict(r: ScenarioResult): string {
  const ours = r.values.job;
  const base = r.values.baseline;
  if (ours === undefined) return '';
  const met = (ok: boolean): string => (ok ? 'met' : 'MISSED');
  if (r.target !== undefined && base !== undefined) {
    return `≤ ${r.target}× ${met(ours / base <= r.target)}`;
  }
  if (r.limit !== undefined) return `≤ ${r.limit} ${met(ours <= r.limit)}`;
  if (r.fastest) {
    const others = Object.entries(r.values).filter(([c]) => c !== 'job');
    return `fastest ${met(others.every(([, v]) => v === undefined || ours <= v))}`;
  }
  return '';
}

const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
const line = (row: string[]): string =>
  `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(line(rows[0] ?? []));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows.slice(1)) console.log(line(row));
console.log(
  `\nNode ${process.version}, ${new Date().toISOString()}; ratios are against the baseline column` +
    (repeat > 1 ? `; medians of ${repeat} runs per scenario.` : '.'),
);

// For `npm run bench` at the root (scripts/bench-all.mjs): the same figures, machine-readable.
const resultsDir = process.env.BENCH_RESULTS_DIR;
if (resultsDir) {
  mkdirSync(resultsDir, { recursive: true });
  const json = {
    workspace: '@tcpbalancer/job',
    rows: results.map((r) => {
      const base = r.values.baseline;
      const ours = r.values.job;
      return {
        scenario: r.title,
        unit: r.unit,
        ours,
        baseline: base,
        ratio: ours !== undefined && base ? ours / base : undefined,
        target: verdict(r).replace(/ (met|MISSED)$/, '') || undefined,
        met: verdict(r).endsWith('met') ? true : verdict(r).endsWith('MISSED') ? false : undefined,
        effect: r.values.effect,
        effection: r.values.effection,
      };
    }),
  };
  writeFileSync(join(resultsDir, 'job.json'), `${JSON.stringify(json, null, 2)}\n`);
}
