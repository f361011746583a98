// Every workspace's benchmark, then ONE table of ratios (ours vs the baseline run beside it):
// job overhead vs Promise.all, proxy vs a bare pipe proxy (and HAProxy when installed),
// backend vs in-process sharp, client, protocol codec, and end to end through the proxy vs
// straight to the backends (tests/system/bench/e2e.ts).
//
//   npm run bench                              # builds (turbo), then runs them all in turn
//   npm run bench -- --no-build --only proxy,system
//   npm run bench -- --markdown                # the table as Markdown (for docs/benchmarks.md)
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
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '@tcpbalancer/test-kit';
import { printHeaderAndExit } from './lib/usage.js';

interface Workspace {
  readonly short: string;
  readonly name: string;
  readonly dir: string;
}

const WORKSPACES: readonly Workspace[] = [
  { short: 'job', name: '@tcpbalancer/job', dir: 'packages/job' },
  { short: 'protocol', name: '@tcpbalancer/protocol', dir: 'packages/protocol' },
  { short: 'proxy', name: '@tcpbalancer/proxy', dir: 'apps/proxy' },
  { short: 'backend', name: '@tcpbalancer/backend', dir: 'apps/backend' },
  { short: 'client', name: '@tcpbalancer/client', dir: 'apps/client' },
  { short: 'system', name: '@tcpbalancer/tests-system', dir: 'tests/system' },
];

interface Row {
  readonly scenario?: unknown;
  readonly unit?: unknown;
  readonly ours?: unknown;
  readonly baseline?: unknown;
  readonly ratio?: unknown;
  readonly target?: unknown;
  /** Peers measured in the same run (the proxy bench: haproxy, nginx, workers2, the floors). */
  readonly haproxy?: unknown;
  readonly nginx?: unknown;
  readonly workers2?: unknown;
  readonly floor?: unknown;
  readonly floorJob?: unknown;
  /** Whether the target is met (true/false), absent for info rows. */
  readonly met?: unknown;
}

interface Outcome {
  readonly ws: Workspace;
  /** undefined: the workspace has no bench script. */
  readonly code: number | undefined;
  readonly seconds: number;
}

const { values: flags } = parseArgs({
  options: {
    build: { type: 'boolean', default: true },
    'no-build': { type: 'boolean', default: false },
    only: { type: 'string' },
    markdown: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) printHeaderAndExit(import.meta.url);
const only = flags.only ? new Set(flags.only.split(',').map((s) => s.trim())) : undefined;
const selected = WORKSPACES.filter((w) => !only || only.has(w.short) || only.has(w.name));

let current: ReturnType<typeof spawn> | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    try {
      if (current?.pid) process.kill(-current.pid, 'SIGKILL');
    } catch {
      // gone
    }
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

/** Runs a command in its own process group, output passed through; resolves with the exit code. */
async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: 'inherit', detached: true });
  current = child;
  const [code, sig] = (await once(child, 'exit')) as [number | null, string | null];
  current = undefined;
  return code ?? (sig ? 128 : 1);
}

function hasBench(ws: Workspace): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, ws.dir, 'package.json'), 'utf8'));
    return Boolean(pkg.scripts?.bench);
  } catch {
    return false;
  }
}

/** The rows a workspace wrote, or undefined. */
function readRows(resultsDir: string, ws: Workspace): Row[] | undefined {
  const file = join(resultsDir, `${ws.short}.json`);
  if (!existsSync(file)) return undefined;
  try {
    const data = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(data.rows) ? data.rows : undefined;
  } catch {
    return undefined;
  }
}

function fmt(x: unknown, digits = 1): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(digits > 0 ? 1 : 0);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

function ratioOf(r: Row): number {
  if (typeof r.ratio === 'number') return r.ratio;
  if (typeof r.ours === 'number' && typeof r.baseline === 'number' && r.baseline !== 0)
    return r.ours / r.baseline;
  return Number.NaN;
}

type TableRow = Record<
  'workspace' | 'scenario' | 'unit' | 'ours' | 'baseline' | 'ratio' | 'target' | 'peers',
  string
>;

function tableRows(resultsDir: string, o: Outcome): TableRow[] {
  const rows = readRows(resultsDir, o.ws);
  const status = o.code === undefined ? 'no bench' : o.code === 0 ? 'ok' : `exit ${o.code}`;
  if (!rows || rows.length === 0) {
    const scenario = `(${status}; no results file)`;
    return [
      {
        workspace: o.ws.short,
        scenario,
        unit: '',
        ours: 'n/a',
        baseline: 'n/a',
        ratio: 'n/a',
        target: '',
        peers: '',
      },
    ];
  }
  return rows.map((r) => {
    const ratio = ratioOf(r);
    return {
      workspace: o.ws.short + (o.code === 0 ? '' : ` (${status})`),
      scenario: String(r.scenario ?? ''),
      unit: String(r.unit ?? ''),
      ours: fmt(r.ours),
      baseline: fmt(r.baseline),
      ratio: Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a',
      target: String(r.target ?? '') + (r.met === true ? ' ✓' : r.met === false ? ' ✗' : ''),
      peers: peersOf(r),
    };
  });
}

/** "haproxy 31.3, nginx 30.1": the peers a bench measured beside ours, where it did. */
function peersOf(r: Row): string {
  const named: [string, unknown][] = [
    ['haproxy', r.haproxy],
    ['nginx', r.nginx],
    ['--workers 2', r.workers2],
    ['floor', r.floor],
    ['floor-job', r.floorJob],
  ];
  return named
    .filter(([, v]) => typeof v === 'number' && Number.isFinite(v))
    .map(([n, v]) => `${n} ${fmt(v)}`)
    .join(', ');
}

function printTable(table: readonly TableRow[]): void {
  if (!flags.markdown) {
    console.table(table);
    return;
  }
  const cols = [
    'workspace',
    'scenario',
    'unit',
    'ours',
    'baseline',
    'ratio',
    'target',
    'peers',
  ] as const;
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
  for (const r of table)
    console.log(`| ${cols.map((c) => r[c].replaceAll('|', '\\|')).join(' | ')} |`);
}

if (flags.build && !flags['no-build']) {
  console.log('== build (turbo)');
  if (
    (await run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], process.env)) !== 0
  ) {
    console.error('build failed');
    process.exit(1);
  }
}

const resultsDir = mkdtempSync(join(tmpdir(), 'tcpb-bench-'));
const outcomes: Outcome[] = [];
try {
  for (const ws of selected) {
    if (!hasBench(ws)) {
      console.log(`\n== ${ws.name}: no bench script`);
      outcomes.push({ ws, code: undefined, seconds: 0 });
      continue;
    }
    console.log(`\n== ${ws.name}: npm run bench`);
    const t0 = performance.now();
    const env = { ...process.env, BENCH_RESULTS_DIR: resultsDir };
    const code = await run('npm', ['run', 'bench', '--silent', '-w', ws.name], env);
    outcomes.push({ ws, code, seconds: (performance.now() - t0) / 1000 });
  }
  console.log(
    `\n== summary: ratios vs the baseline run alongside (node ${process.version}, ${new Date().toISOString()})`,
  );
  printTable(outcomes.flatMap((o) => tableRows(resultsDir, o)));
  for (const o of outcomes) {
    if (o.code === undefined) continue;
    console.log(
      `  ${o.ws.short.padEnd(9)} ${o.code === 0 ? 'ok  ' : 'FAIL'} ${o.seconds.toFixed(0)} s`,
    );
  }
} finally {
  rmSync(resultsDir, { recursive: true, force: true });
}
process.exit(outcomes.every((o) => o.code === 0 || o.code === undefined) ? 0 : 1);
