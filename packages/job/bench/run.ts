// Runs every scenario in its own child process (isolated heaps and JIT state, and --expose-gc
// for the heap scenario), then prints one table with each column's ratio against the baseline.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Column, ScenarioResult } from './common.js';

const scenarios = ['trivial-tasks', 'tick-loop', 'cancel-latency', 'heap-per-task'];
const only = process.argv.slice(2);
const columns: Column[] = ['baseline', 'job', 'effect', 'effection'];
const heading: Record<Column, string> = {
  baseline: 'baseline',
  job: '@tcpbalancer/job',
  effect: 'Effect 4',
  effection: 'Effection 4',
};

const results: ScenarioResult[] = [];
for (const name of scenarios) {
  if (only.length > 0 && !only.includes(name)) continue;
  const file = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  process.stderr.write(`running ${name}…\n`);
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const last = out.trim().split('\n').at(-1) ?? '';
  results.push(JSON.parse(last) as ScenarioResult);
}

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
  let verdict = '';
  if (r.target !== undefined && base !== undefined && r.values.job !== undefined) {
    const ratio = r.values.job / base;
    verdict = `≤ ${r.target}× ${ratio <= r.target ? 'met' : 'MISSED'}`;
  }
  rows.push([r.title, r.unit, ...cells, verdict]);
}

const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
const line = (row: string[]): string =>
  `| ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(line(rows[0] ?? []));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows.slice(1)) console.log(line(row));
console.log(
  `\nNode ${process.version}, ${new Date().toISOString()}; ratios are against the baseline column.`,
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
        target: r.target !== undefined ? `≤ ${r.target}×` : undefined,
        effect: r.values.effect,
        effection: r.values.effection,
      };
    }),
  };
  writeFileSync(join(resultsDir, 'job.json'), `${JSON.stringify(json, null, 2)}\n`);
}
