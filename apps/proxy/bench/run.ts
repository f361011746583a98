/**
 * The proxy against the minimal socket.pipe() proxy (and HAProxy when installed), on loopback:
 * every proxy under test pinned to CPU 0, the backend and the load generator pinned to CPU 1.
 *
 *   npm run bench -w @tcpbalancer/proxy [-- --slice 1500 --slices 4 --idle 2000 --only pipe,proxy]
 *
 * The machines are shared and noisy, so the rate scenarios run in short slices that alternate
 * between the targets (pipe, proxy, haproxy, pipe, proxy, …): a burst of load elsewhere hits all
 * of them alike. Rates are the median over slices; CPU time per operation is the target's total
 * CPU (from /proc/<pid>/stat) over all its slices divided by all its operations, the figure that
 * depends least on the neighbours. One scenario per file in scenarios/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBenchResults } from '@tcpbalancer/test-kit';
import { type Child, cpuSeconds, killChildren, rssBytes, spawnPinned } from './lib/proc.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const flag = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? def : Number(args[i + 1]);
};
const only = (() => {
  const i = args.indexOf('--only');
  return i === -1 ? undefined : (args[i + 1] ?? '').split(',');
})();
const SLICE = flag('slice', 1500);
const SLICES = flag('slices', 4);
const IDLE = flag('idle', 2000);
const CONNS = 64;
const SIZE = 1024;

const tmp = mkdtempSync(join(tmpdir(), 'tcpb-bench-'));
const node = process.execPath;
const tsx = ['--import', 'tsx'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function hasHaproxy(): boolean {
  try {
    execFileSync('haproxy', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await sleep(50);
  }
}

interface Target {
  name: string;
  start(upstreamPort: number): Promise<{ child: Child; port: number }>;
}

/**
 * PROXY_BASELINES=name=path/to/main.js,…: other builds of the proxy (an older commit's dist) as
 * extra targets, measured in the same alternating slices — an A/B of two builds on one machine.
 */
const baselines = (process.env.PROXY_BASELINES ?? '')
  .split(',')
  .filter((s) => s.includes('='))
  .map((s) => s.split('=') as [string, string]);

const targets: Target[] = [
  {
    name: 'pipe',
    async start(up) {
      const child = spawnPinned(0, node, [...tsx, join(here, 'pipe-proxy.ts'), '0', String(up)]);
      const line = await child.line((o) => o.msg === 'listening');
      return { child, port: line.port as number };
    },
  },
  nodeProxy('proxy', join(root, 'dist/main.js')),
  {
    name: 'haproxy',
    async start(up) {
      const port = await freePort();
      const cfg = join(tmp, 'haproxy.cfg');
      writeFileSync(
        cfg,
        [
          'global',
          '  maxconn 9000',
          '  nbthread 1',
          '  quiet',
          'defaults',
          '  mode tcp',
          '  timeout connect 3s',
          '  timeout client 300s',
          '  timeout server 300s',
          'listen bench',
          `  bind 127.0.0.1:${port}`,
          `  server s1 127.0.0.1:${up}`,
          '',
        ].join('\n'),
      );
      const child = spawnPinned(0, 'haproxy', ['-db', '-f', cfg]);
      await waitForPort(port);
      return { child, port };
    },
  },
  ...baselines.map(([name, main]) => nodeProxy(name, main)),
];

function nodeProxy(name: string, main: string): Target {
  return {
    name,
    async start(up) {
      // Defaults, info logs included (one line per connection), written to a file as in production.
      const port = await freePort();
      const fd = openSync(join(tmp, `${name}.log`), 'w');
      const args = [main, '-p', String(port), '--host', '127.0.0.1', '-u', `127.0.0.1:${up}`];
      const proc = spawn('taskset', ['-c', '0', node, ...args], {
        stdio: ['ignore', fd, 'inherit'],
      });
      await waitForPort(port);
      const exited = new Promise((r) => proc.once('exit', r));
      return {
        port,
        child: {
          proc,
          pid: proc.pid as number,
          line: () => Promise.reject(new Error('logs go to a file')),
          stop: async () => {
            proc.kill('SIGTERM');
            await exited;
          },
        },
      };
    },
  };
}

/** The long-lived load generator: one command at a time. */
class Load {
  readonly child = spawnPinned(1, node, [...tsx, join(here, 'load.ts')], { stdin: true });
  ready = this.child.line((o) => o.ready === true);
  async run<T>(scenario: string, port: number, opts: object = {}): Promise<T> {
    const answer = this.child.line((o) => 'result' in o || 'error' in o, 120_000);
    this.child.proc.stdin?.write(`${JSON.stringify({ scenario, port, opts })}\n`);
    const o = await answer;
    if ('error' in o) throw new Error(`load generator: ${o.error}`);
    return o.result as T;
  }
}

interface Running {
  name: string;
  pid: number;
  port: number;
  child: Child;
}

interface Rate {
  /** operations per second, per slice */
  rates: number[];
  ops: number;
  cpu: number;
}

async function sliced(
  load: Load,
  running: Running[],
  scenario: string,
  opts: object,
  opsOf: (r: Record<string, number>) => number,
  rateOf: (r: Record<string, number>) => number,
): Promise<Map<string, Rate>> {
  const acc = new Map<string, Rate>(running.map((t) => [t.name, { rates: [], ops: 0, cpu: 0 }]));
  for (let i = 0; i < SLICES; i++) {
    // Rotate the order each slice, so no target always follows the same one.
    const order = running.map((_, k) => running[(k + i) % running.length] as Running);
    for (const t of order) {
      const c0 = cpuSeconds(t.pid);
      const r = await load.run<Record<string, number>>(scenario, t.port, opts);
      const cpu = cpuSeconds(t.pid) - c0;
      const a = acc.get(t.name) as Rate;
      a.rates.push(rateOf(r));
      // CPU is read around the whole slice (warm-up included): charge it to all its operations.
      a.ops += opsOf(r);
      a.cpu += cpu;
    }
  }
  return acc;
}

/** One row of `$BENCH_RESULTS_DIR/proxy.json`: ours = the proxy, baseline = the pipe() proxy. */
interface BenchRow {
  scenario: string;
  unit: string;
  ours: number;
  baseline: number;
  ratio: number;
  /** The target on the ratio, or 'info' for the CPU rows that explain a rate. */
  target: string;
  haproxy: number | undefined;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

async function main(): Promise<void> {
  // This process only orchestrates; keep it off the proxies' core.
  execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  execFileSync(
    node,
    [join(root, '../../node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  const haproxy = hasHaproxy();
  if (!haproxy)
    console.log('haproxy not found: `apt-get install haproxy` adds it as a third column');
  const chosen = targets.filter(
    (t) => (t.name !== 'haproxy' || haproxy) && (!only || only.includes(t.name)),
  );

  const backend = spawnPinned(1, node, [...tsx, join(here, 'backend.ts'), '0']);
  const { port: backendPort } = (await backend.line((o) => 'port' in o)) as { port: number };
  const load = new Load();
  await load.ready;
  const running: Running[] = [];
  const memory = new Map<string, number>();
  try {
    // Memory per idle connection, each target fresh and alone: RSS before and after opening IDLE
    // proxied connections (each has echoed one byte, so the upstream side is connected too).
    for (const t of chosen) {
      const { child, port } = await t.start(backendPort);
      running.push({ name: t.name, pid: child.pid, port, child });
      await load.run('connection-rate', port, { concurrency: 8, durationMs: 300, warmupMs: 0 });
      await sleep(300);
      const rss0 = rssBytes(child.pid);
      await load.run('idle-open', port, { count: IDLE });
      await sleep(500);
      const rss1 = rssBytes(child.pid);
      await load.run('idle-close', port);
      memory.set(t.name, (rss1 - rss0) / IDLE / 1024);
      console.log(`${t.name}: ${((rss1 - rss0) / IDLE / 1024).toFixed(1)} KiB per idle connection`);
    }
    await sleep(500);

    console.log(`request/response: ${SLICES} slices of ${SLICE} ms per target…`);
    const rr = await sliced(
      load,
      running,
      'request-rate',
      { conns: CONNS, size: SIZE, durationMs: SLICE, warmupMs: 200 },
      (r) => (r.rps as number) * ((r.seconds as number) + 0.2),
      (r) => r.rps as number,
    );
    console.log('new connections…');
    const cr = await sliced(
      load,
      running,
      'connection-rate',
      { concurrency: 32, durationMs: SLICE, warmupMs: 100 },
      (r) => (r.cps as number) * ((r.seconds as number) + 0.1),
      (r) => r.cps as number,
    );
    console.log('bulk…');
    const bulk = await sliced(
      load,
      running,
      'bulk',
      { durationMs: SLICE, warmupMs: 300 },
      (r) => ((r.mbPerSec as number) * ((r.seconds as number) + 0.3)) / 1000,
      (r) => r.mbPerSec as number,
    );

    const names = running.map((t) => t.name);
    type Metric = [
      label: string,
      value: (n: string) => number,
      digits: number,
      target: string,
      scenario: string,
      unit: string,
    ];
    const metrics: Metric[] = [
      [
        'keep-alive req/s (64 conns, 1 KiB each way)',
        (n) => median(rr.get(n)?.rates ?? []),
        0,
        '>= 0.9x',
        'keep-alive req/s',
        'req/s',
      ],
      [
        '  proxy CPU per request (us)',
        (n) => ((rr.get(n)?.cpu ?? 0) / (rr.get(n)?.ops ?? 1)) * 1e6,
        1,
        '',
        'CPU per request',
        'µs',
      ],
      [
        'new connections/s',
        (n) => median(cr.get(n)?.rates ?? []),
        0,
        '>= 0.8x',
        'new conn/s',
        'conn/s',
      ],
      [
        '  proxy CPU per connection (us)',
        (n) => ((cr.get(n)?.cpu ?? 0) / (cr.get(n)?.ops ?? 1)) * 1e6,
        1,
        '',
        'CPU per connection',
        'µs',
      ],
      [
        'bulk, one stream (MB/s)',
        (n) => median(bulk.get(n)?.rates ?? []),
        0,
        '>= 0.9x',
        'bulk MB/s',
        'MB/s',
      ],
      [
        '  proxy CPU per GB (s)',
        (n) => (bulk.get(n)?.cpu ?? 0) / (bulk.get(n)?.ops ?? 1),
        2,
        '',
        'CPU per GB',
        's',
      ],
      [
        `memory per idle connection (KiB, ${IDLE})`,
        (n) => memory.get(n) ?? Number.NaN,
        1,
        '<= 1.5x',
        'memory per idle conn',
        'KiB',
      ],
    ];
    const others = names.filter((n) => n !== 'pipe');
    const header = [
      'metric'.padEnd(46),
      ...names.map((n) => n.padStart(10)),
      ...others.map((n) => `${n}/pipe`.padStart(14)),
      'target'.padStart(10),
    ];
    console.log(`\n${header.join('')}`);
    const json: Record<string, Record<string, number>> = {};
    const rows: BenchRow[] = [];
    for (const [label, value, digits, target, scenario, unit] of metrics) {
      const cells = names.map((n) => value(n).toFixed(digits).padStart(10));
      const ratios = others.map((n) => `${(value(n) / value('pipe')).toFixed(2)}x`.padStart(14));
      console.log([label.padEnd(46), ...cells, ...ratios, target.padStart(10)].join(''));
      rows.push({
        scenario,
        unit,
        ours: value('proxy'),
        baseline: value('pipe'),
        ratio: value('proxy') / value('pipe'),
        target: target ? target.replace('>=', '≥').replace('<=', '≤').replace(/x$/, '×') : 'info',
        haproxy: names.includes('haproxy') ? value('haproxy') : undefined,
      });
      for (const n of names) {
        json[n] ??= {};
        (json[n] as Record<string, number>)[label.trim()] = value(n);
      }
    }
    console.log('\nrates per slice (spread = noise from the shared machine):');
    for (const [what, m] of [
      ['req/s', rr],
      ['conn/s', cr],
      ['MB/s', bulk],
    ] as const) {
      for (const n of names)
        console.log(
          `  ${what.padEnd(7)} ${n.padEnd(8)} ${(m.get(n)?.rates ?? []).map((r) => Math.round(r)).join(' ')}`,
        );
    }
    // The repository's benchmark convention: one file per workspace in $BENCH_RESULTS_DIR.
    await writeBenchResults('proxy', '@tcpbalancer/proxy', rows);
    writeFileSync(
      join(here, 'last-run.json'),
      `${JSON.stringify({ date: new Date().toISOString(), slice: SLICE, slices: SLICES, idle: IDLE, results: json }, null, 2)}\n`,
    );
  } finally {
    for (const t of running) await t.child.stop();
    load.child.proc.stdin?.end();
    await backend.stop();
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => killChildren());
