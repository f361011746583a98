#!/usr/bin/env node
// Every workspace's benchmark, then ONE table of ratios (ours vs the baseline run beside it):
// job overhead vs Promise.all, proxy vs a bare pipe proxy (and HAProxy when installed),
// backend vs in-process sharp, client, protocol codec, and end to end through the proxy vs
// straight to the backends (tests/system/bench/e2e.ts).
//
//   node scripts/bench-all.mjs                 # builds (turbo), then runs them all in turn
//   node scripts/bench-all.mjs --no-build --only proxy,system
//   node scripts/bench-all.mjs --markdown      # the table as Markdown (for the README)
//
// Each workspace bench prints its own tables (passed through here) and, because
// BENCH_RESULTS_DIR is set, writes $BENCH_RESULTS_DIR/<short-name>.json =
// { workspace, rows: [{ scenario, unit, ours, baseline, ratio, target }] }. A missing or
// unreadable file shows as "n/a". Benches run one at a time (the machine has 2 cores).
// BENCH_SECONDS and the other BENCH_* variables pass through to every bench.
// Exit status: 0 if every bench exited 0, 1 otherwise (the table is printed either way).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WORKSPACES = [
  { short: 'job', name: '@tcpbalancer/job', dir: 'packages/job' },
  { short: 'protocol', name: '@tcpbalancer/protocol', dir: 'packages/protocol' },
  { short: 'proxy', name: '@tcpbalancer/proxy', dir: 'apps/proxy' },
  { short: 'backend', name: '@tcpbalancer/backend', dir: 'apps/backend' },
  { short: 'client', name: '@tcpbalancer/client', dir: 'apps/client' },
  { short: 'system', name: '@tcpbalancer/tests-system', dir: 'tests/system' },
];

const { values: flags } = parseArgs({
  options: {
    build: { type: 'boolean', default: true },
    'no-build': { type: 'boolean', default: false },
    only: { type: 'string' },
    markdown: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(1, 16)
      .join('\n')
      .replace(/^\/\/ ?/gm, ''),
  );
  process.exit(0);
}
const only = flags.only ? new Set(flags.only.split(',').map((s) => s.trim())) : undefined;
const selected = WORKSPACES.filter((w) => !only || only.has(w.short) || only.has(w.name));

let current;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (current) {
      try {
        process.kill(-current.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

/** Runs a command in its own process group, output passed through; resolves with the exit code. */
async function run(cmd, args, env) {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: 'inherit', detached: true });
  current = child;
  const [code, sig] = await once(child, 'exit');
  current = undefined;
  return code ?? (sig ? 128 : 1);
}

if (flags.build && !flags['no-build']) {
  console.log('== build (turbo)');
  const code = await run(
    'npx',
    ['turbo', 'run', 'build', '--output-logs=errors-only'],
    process.env,
  );
  if (code !== 0) {
    console.error('build failed');
    process.exit(1);
  }
}

const resultsDir = mkdtempSync(join(tmpdir(), 'tcpb-bench-'));
const outcomes = [];
for (const ws of selected) {
  const pkg = join(ROOT, ws.dir, 'package.json');
  let hasBench = false;
  try {
    hasBench = Boolean(JSON.parse(readFileSync(pkg, 'utf8')).scripts?.bench);
  } catch {
    hasBench = false;
  }
  if (!hasBench) {
    console.log(`\n== ${ws.name}: no bench script`);
    outcomes.push({ ws, code: undefined, seconds: 0 });
    continue;
  }
  console.log(`\n== ${ws.name}: npm run bench`);
  const t0 = performance.now();
  const code = await run('npm', ['run', 'bench', '--silent', '-w', ws.name], {
    ...process.env,
    BENCH_RESULTS_DIR: resultsDir,
  });
  outcomes.push({ ws, code, seconds: (performance.now() - t0) / 1000 });
}

/** The rows a workspace wrote, or undefined. */
function readRows(ws) {
  const file = join(resultsDir, `${ws.short}.json`);
  if (!existsSync(file)) return undefined;
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(data.rows) ? data.rows : undefined;
  } catch {
    return undefined;
  }
}

const fmt = (x, digits = 1) => {
  if (typeof x !== 'number' || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(digits > 0 ? 1 : 0);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
};

const table = [];
for (const o of outcomes) {
  const rows = readRows(o.ws);
  const status = o.code === undefined ? 'no bench' : o.code === 0 ? 'ok' : `exit ${o.code}`;
  if (!rows || rows.length === 0) {
    table.push({
      workspace: o.ws.short,
      scenario: `(${status}; no results file)`,
      unit: '',
      ours: 'n/a',
      baseline: 'n/a',
      ratio: 'n/a',
      target: '',
    });
    continue;
  }
  for (const r of rows) {
    const ratio =
      typeof r.ratio === 'number'
        ? r.ratio
        : typeof r.ours === 'number' && typeof r.baseline === 'number' && r.baseline !== 0
          ? r.ours / r.baseline
          : Number.NaN;
    table.push({
      workspace: o.ws.short + (o.code === 0 ? '' : ` (${status})`),
      scenario: String(r.scenario ?? ''),
      unit: String(r.unit ?? ''),
      ours: fmt(r.ours),
      baseline: fmt(r.baseline),
      ratio: Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a',
      target: String(r.target ?? ''),
    });
  }
}

console.log(
  `\n== summary: ratios vs the baseline run alongside (node ${process.version}, ${new Date().toISOString()})`,
);
if (flags.markdown) {
  const cols = ['workspace', 'scenario', 'unit', 'ours', 'baseline', 'ratio', 'target'];
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
  for (const r of table)
    console.log(`| ${cols.map((c) => String(r[c]).replaceAll('|', '\\|')).join(' | ')} |`);
} else {
  console.table(table);
}
for (const o of outcomes) {
  if (o.code !== undefined)
    console.log(
      `  ${o.ws.short.padEnd(9)} ${o.code === 0 ? 'ok  ' : 'FAIL'} ${o.seconds.toFixed(0)} s`,
    );
}
rmSync(resultsDir, { recursive: true, force: true });
process.exit(outcomes.every((o) => o.code === 0 || o.code === undefined) ? 0 : 1);
