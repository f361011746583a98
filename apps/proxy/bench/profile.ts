/**
 * Profiles the proxy's connection path: the built proxy runs with V8's CPU profiler and its
 * sampling heap profiler (collected objects included: allocation sampling), started by
 * lib/profile-preload.mjs once start-up is over, while the load generator drives one scenario
 * at it; then the top entries by self time and by bytes allocated are printed (the lists in the
 * README's "Profile" section come from here).
 *
 *   npm run bench:profile -w @tcpbalancer/proxy [-- --scenario connection-rate|request-rate|bulk|idle-open --ms 5000 --top 15]
 *
 * idle-open opens and holds 5,000 connections (run.ts's idle set-up figure); --ms is unused there.
 *
 * Both processes are pinned as in run.ts (proxy on CPU 0; backend and generator on CPU 1).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@tcpbalancer/test-kit';
import { proxyArgs, runBench, spawnPinned } from './lib/proc.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : (args[i + 1] ?? def);
};
const SCENARIO = opt('scenario', 'connection-rate');
const MS = Number(opt('ms', '5000'));
const TOP = Number(opt('top', '15'));
const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'tcpb-prof-'));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  selfSize?: number;
  children?: (number | ProfileNode)[];
}

const where = (f: ProfileNode['callFrame']) => {
  const url = f.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '');
  const short = url.replace(/.*\/apps\/proxy\//, '').replace(/.*\/packages\//, 'packages/');
  return `${f.functionName || '(anonymous)'} ${short ? `${short}:${f.lineNumber + 1}` : ''}`.trim();
};

function top(totals: Map<string, number>, sum: number, unit: (v: number) => string): void {
  const sorted = [...totals].sort((a, b) => b[1] - a[1]).slice(0, TOP);
  for (const [name, v] of sorted)
    console.log(`  ${((v / sum) * 100).toFixed(1).padStart(5)} %  ${unit(v).padStart(9)}  ${name}`);
}

function cpuTop(file: string): void {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of prof.samples) {
    const n = byId.get(id);
    if (!n) continue;
    const k = where(n.callFrame);
    self.set(k, (self.get(k) ?? 0) + 1);
  }
  const idle = self.get('(idle)') ?? 0;
  self.delete('(idle)');
  const busy = prof.samples.length - idle;
  console.log(`CPU, self time, ${busy} busy samples (idle excluded):`);
  top(self, busy, (v) => `${v}`);
}

function heapTop(file: string): void {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode };
  const bytes = new Map<string, number>();
  let sum = 0;
  const walk = (n: ProfileNode) => {
    const k = where(n.callFrame);
    bytes.set(k, (bytes.get(k) ?? 0) + (n.selfSize ?? 0));
    sum += n.selfSize ?? 0;
    for (const c of n.children ?? []) if (typeof c === 'object') walk(c);
  };
  walk(prof.head);
  console.log(
    `Allocation sampling, bytes allocated by function (${(sum / 1024).toFixed(0)} KiB sampled):`,
  );
  top(bytes, sum, (v) => `${(v / 1024).toFixed(0)} KiB`);
}

async function main(): Promise<void> {
  execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const tsx = ['--import', 'tsx'];
  const backend = spawnPinned(1, node, [...tsx, join(here, 'backend.ts'), '0']);
  const { port: up } = (await backend.line((o) => 'port' in o)) as { port: number };
  const load = spawnPinned(1, node, [...tsx, join(here, 'load.ts')], { stdin: true });
  await load.line((o) => o.ready === true);
  const run = async (scenario: string, port: number, opts: object) => {
    const answer = load.line((o) => 'result' in o || 'error' in o, 120_000);
    load.proc.stdin?.write(`${JSON.stringify({ scenario, port, opts })}\n`);
    return answer;
  };
  const port = await freePort();
  const proxy = spawn(
    'taskset',
    [
      '-c',
      '0',
      node,
      '--import',
      join(here, 'lib/profile-preload.mjs'),
      ...proxyArgs(join(root, 'dist/main.js'), port, up),
      '--log-level',
      'info',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, TCPB_PROFILE_DIR: dir } },
  );
  await new Promise((r) => setTimeout(r, 1500));
  proxy.kill('SIGUSR2'); // start profiling now that start-up is over
  const opts =
    SCENARIO === 'request-rate'
      ? { conns: 64, size: 1024, durationMs: MS, warmupMs: 200 }
      : SCENARIO === 'bulk'
        ? { durationMs: MS, warmupMs: 300 }
        : SCENARIO === 'idle-open'
          ? { count: 5000 }
          : { concurrency: 64, durationMs: MS, warmupMs: 100 };
  console.log(`${SCENARIO} for ${MS} ms:`, JSON.stringify(await run(SCENARIO, port, opts)));
  proxy.kill('SIGUSR2'); // stop profiling: the shutdown below stays out of the profile
  await new Promise((r) => setTimeout(r, 500));
  proxy.kill('SIGTERM');
  await once(proxy, 'exit');
  load.proc.stdin?.end();
  await backend.stop();
  const files = readdirSync(dir);
  const cpu = files.find((f) => f.endsWith('.cpuprofile'));
  const heap = files.find((f) => f.endsWith('.heapprofile'));
  if (cpu) cpuTop(join(dir, cpu));
  else console.log('no CPU profile written');
  if (heap) heapTop(join(dir, heap));
  console.log(`profiles in ${dir}`);
}

runBench(main);
