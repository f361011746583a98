/**
 * The proxy against the minimal socket.pipe() proxy (and HAProxy when installed), on loopback:
 * every proxy under test pinned to CPU 0, the backend and the load generator pinned to CPU 1.
 *
 *   npm run bench -w @tcpbalancer/proxy [-- --slice 1500 --slices 4 --idle 5000 --idle-rounds 3
 *                                          --only pipe,proxy --idle-only]
 *
 * The machines are shared and noisy, so the rate scenarios run in short slices that alternate
 * between the targets (pipe, proxy, haproxy, pipe, proxy, …): a burst of load elsewhere hits all
 * of them alike. Rates are the median over slices; CPU time per operation is the target's total
 * CPU (from /proc/<pid>/stat) over all its slices divided by all its operations, the figure that
 * depends least on the neighbours. One scenario per file in scenarios/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type BenchRow,
  freePort,
  median,
  waitForPort,
  writeBenchResults,
} from '@tcpbalancer/test-kit';
import {
  type Child,
  proxyArgs,
  runBench,
  spawnPinned,
  treeCpuSeconds,
  treeRssBytes,
} from './lib/proc.js';

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
/** Idle connections held for the memory figure: issue 17 states it for 5,000 held. */
const IDLE = flag('idle', 5000);
/** Rounds of opening IDLE connections per target; the set-up CPU is their median. */
const IDLE_ROUNDS = flag('idle-rounds', 3);
const CONNS = 64;
/** PROXY_NODE_FLAGS="--max-semi-space-size=4": V8 flags for our proxy (a GC-settings A/B). */
const NODE_FLAGS = (process.env.PROXY_NODE_FLAGS ?? '').split(' ').filter(Boolean);
/** `--no-workers` leaves out the --workers 2 column. */
const WORKERS = !args.includes('--no-workers');
/** `--idle-only`: only the idle-connection figures (memory, set-up CPU), no rate scenarios. */
const IDLE_ONLY = args.includes('--idle-only');
const SIZE = 1024;

const tmp = mkdtempSync(join(tmpdir(), 'tcpb-bench-'));
const node = process.execPath;
const tsc = join(root, '../../node_modules/typescript/bin/tsc');
const tsx = ['--import', 'tsx'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function has(cmd: string, arg: string): boolean {
  try {
    execFileSync(cmd, [arg], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Debian's nginx keeps the stream module apart (libnginx-mod-stream). */
const NGINX_STREAM = '/usr/lib/nginx/modules/ngx_stream_module.so';

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

/**
 * PROXY_FLAG_VARIANTS="semi2=--max-semi-space-size=2;semi4=--max-semi-space-size=4": the proxy
 * again under other V8 flags, as extra columns of the same run (how the GC settings in the README
 * were measured).
 */
const flagVariants = (process.env.PROXY_FLAG_VARIANTS ?? '')
  .split(';')
  .filter((s) => s.includes('='))
  .map((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)] as [string, string]);

const targets: Target[] = [
  {
    name: 'pipe',
    start: (up) => benchProxy('pipe-proxy', up),
  },
  // What net.Socket itself costs, and net.Socket plus one job per connection: the floors under
  // any Node proxy and under one built on the job pattern (floor-proxy.ts).
  {
    name: 'floor',
    start: (up) => benchProxy('floor-proxy', up),
  },
  {
    name: 'floor-job',
    start: (up) => benchProxy('floor-proxy', up, ['job']),
  },
  nodeProxy('proxy', join(root, 'dist/main.js')),
  // --workers 2 (node:cluster) on both cores, which the backend and the load generator share:
  // on this 2-core machine it shows what a second worker costs, not what it scales to.
  nodeProxy('proxy-w2', join(root, 'dist/main.js'), ['--workers', '2'], '0,1'),
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
  {
    name: 'nginx',
    async start(up) {
      const port = await freePort();
      const dir = join(tmp, 'nginx');
      mkdirSync(dir, { recursive: true });
      const cfg = join(dir, 'nginx.conf');
      // One worker process (the master only supervises), stream proxy, no access log.
      writeFileSync(
        cfg,
        [
          `load_module ${NGINX_STREAM};`,
          'daemon off;',
          'worker_processes 1;',
          `pid ${join(dir, 'nginx.pid')};`,
          `error_log ${join(dir, 'error.log')} warn;`,
          'worker_rlimit_nofile 20000;',
          // Two connections per proxied one, plus the listener: 5,000 held need more than 10,000.
          'events { worker_connections 16384; }',
          'stream {',
          '  server {',
          `    listen 127.0.0.1:${port};`,
          `    proxy_pass 127.0.0.1:${up};`,
          '    proxy_connect_timeout 3s;',
          '    proxy_timeout 300s;',
          '  }',
          '}',
          '',
        ].join('\n'),
      );
      const child = spawnPinned(0, 'nginx', ['-e', join(dir, 'error.log'), '-c', cfg]);
      await waitForPort(port);
      return { child, port };
    },
  },
  ...baselines.map(([name, main]) => nodeProxy(name, main)),
  ...flagVariants.map(([name, flags]) =>
    nodeProxy(name, join(root, 'dist/main.js'), [], '0', flags.split(' ').filter(Boolean)),
  ),
];

/**
 * The baseline proxies of bench/ compiled to plain JavaScript (tsc), so that they run under bare
 * `node` as ours does: through tsx their RSS would include tsx's loader and its esbuild service
 * process. Compiled under node_modules/.cache so that `@tcpbalancer/job` resolves from there.
 */
const benchJs = join(root, 'node_modules/.cache/tcpb-bench');
function compileBenchProxies(): void {
  execFileSync(
    node,
    [
      tsc,
      ...['--outDir', benchJs, '--module', 'nodenext', '--moduleResolution', 'nodenext'],
      ...['--target', 'es2022', '--types', 'node', '--skipLibCheck', '--strict'],
      join(here, 'pipe-proxy.ts'),
      join(here, 'floor-proxy.ts'),
    ],
    { stdio: 'inherit' },
  );
  writeFileSync(join(benchJs, 'package.json'), '{ "type": "module" }\n');
}

async function benchProxy(
  file: string,
  up: number,
  extra: string[] = [],
): Promise<{ child: Child; port: number }> {
  const child = spawnPinned(0, node, [join(benchJs, `${file}.js`), '0', String(up), ...extra]);
  const line = await child.line((o) => o.msg === 'listening');
  return { child, port: line.port as number };
}

function nodeProxy(
  name: string,
  main: string,
  extra: string[] = [],
  cpus = '0',
  nodeFlags = NODE_FLAGS,
): Target {
  return {
    name,
    async start(up) {
      // Defaults, info logs included (one line per connection), written to a file as in production.
      const port = await freePort();
      const fd = openSync(join(tmp, `${name}.log`), 'w');
      const args = [...nodeFlags, ...proxyArgs(main, port, up), ...extra];
      const proc = spawn('taskset', ['-c', cpus, node, ...args], {
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
  /** p99 latency (ms) per slice, when the scenario reports one */
  p99: number[];
  ops: number;
  cpu: number;
  /** the highest RSS (bytes) sampled during the slices */
  peakRss: number;
  /** the highest growth of RSS within one slice over the RSS at its start (bytes) */
  growth: number;
}

async function sliced(
  load: Load,
  running: Running[],
  scenario: string,
  opts: object,
  opsOf: (r: Record<string, number>) => number,
  rateOf: (r: Record<string, number>) => number,
): Promise<Map<string, Rate>> {
  const acc = new Map<string, Rate>(
    running.map((t) => [t.name, { rates: [], p99: [], ops: 0, cpu: 0, peakRss: 0, growth: 0 }]),
  );
  for (let i = 0; i < SLICES; i++) {
    // Rotate the order each slice, so no target always follows the same one.
    const order = running.map((_, k) => running[(k + i) % running.length] as Running);
    for (const t of order) {
      const a = acc.get(t.name) as Rate;
      // RSS sampled every 20 ms (VmHWM would include the idle-memory phase before).
      const rss0 = treeRssBytes(t.pid);
      const sampler = setInterval(() => {
        const rss = treeRssBytes(t.pid);
        a.peakRss = Math.max(a.peakRss, rss);
        a.growth = Math.max(a.growth, rss - rss0);
      }, 20);
      const c0 = treeCpuSeconds(t.pid);
      const r = await load.run<Record<string, number>>(scenario, t.port, opts);
      const cpu = treeCpuSeconds(t.pid) - c0;
      clearInterval(sampler);
      a.rates.push(rateOf(r));
      if (typeof r.p99Ms === 'number') a.p99.push(r.p99Ms);
      // CPU is read around the whole slice (warm-up included): charge it to all its operations.
      a.ops += opsOf(r);
      a.cpu += cpu;
    }
  }
  return acc;
}

/** One row of `$BENCH_RESULTS_DIR/proxy.json`: ours = the proxy, baseline = the pipe() proxy. */
interface ProxyBenchRow extends BenchRow {
  readonly ours: number;
  readonly baseline: number;
  readonly ratio: number;
  /** Whether ours meets the target (undefined for the info rows). */
  met: boolean | undefined;
  haproxy: number | undefined;
  nginx: number | undefined;
  /** The proxy with --workers 2 (both cores, shared with the generator). */
  workers2: number | undefined;
  /** floor-proxy.ts: the least a net.Socket proxy does, the bound under any Node proxy. */
  floor: number | undefined;
  /** floor-proxy.ts job: the same under one job per connection, the bound under a job-based one. */
  floorJob: number | undefined;
}

/**
 * One figure of the table. `target` compares ours with a peer in the same run (`vs`) or with an
 * absolute bound (`abs`); `lower` says lower is better (CPU, memory, latency).
 */
interface Metric {
  label: string;
  value: (n: string) => number;
  digits: number;
  scenario: string;
  unit: string;
  target?: { vs?: string; abs?: number; factor?: number; lower: boolean; text: string };
}

async function main(): Promise<void> {
  // This process only orchestrates; keep it off the proxies' core.
  execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  execFileSync(node, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  compileBenchProxies();
  const haproxy = has('haproxy', '-v');
  const nginx = has('nginx', '-v') && existsSync(NGINX_STREAM);
  if (!haproxy || !nginx)
    console.log(
      `${[haproxy ? '' : 'haproxy', nginx ? '' : 'nginx (with its stream module)'].filter(Boolean).join(' and ')} not found: \`bash apps/proxy/bench/setup.sh\` installs them (apt) as peer columns`,
    );
  const chosen = targets.filter(
    (t) =>
      (t.name !== 'haproxy' || haproxy) &&
      (t.name !== 'nginx' || nginx) &&
      (t.name !== 'proxy-w2' || WORKERS) &&
      (!only || only.includes(t.name)),
  );

  const backend = spawnPinned(1, node, [...tsx, join(here, 'backend.ts'), '0']);
  const { port: backendPort } = (await backend.line((o) => 'port' in o)) as { port: number };
  const load = new Load();
  await load.ready;
  const running: Running[] = [];
  const memory = new Map<string, number>();
  const setupCpu = new Map<string, number>();
  /** RSS once started, before any connection (bench/resident.ts shows what it is made of). */
  const atRest = new Map<string, number>();
  try {
    // Memory per idle connection, each target fresh and alone: RSS before and after opening IDLE
    // proxied connections (each has echoed one byte, so the upstream side is connected too), and
    // the CPU the target spent setting them up (accept, connect upstream, relay one byte).
    const holdIdle = async (t: Running) => {
      await sleep(300);
      const rss0 = treeRssBytes(t.pid);
      const cpu0 = treeCpuSeconds(t.pid);
      await load.run('idle-open', t.port, { count: IDLE });
      await sleep(500);
      const cpu1 = treeCpuSeconds(t.pid);
      const rss1 = treeRssBytes(t.pid);
      await load.run('idle-close', t.port);
      return { kib: (rss1 - rss0) / IDLE / 1024, us: ((cpu1 - cpu0) / IDLE) * 1e6 };
    };
    const setupRounds = new Map<string, number[]>();
    for (const t of chosen) {
      const { child, port } = await t.start(backendPort);
      const r = { name: t.name, pid: child.pid, port, child };
      running.push(r);
      await sleep(300);
      atRest.set(t.name, treeRssBytes(child.pid));
      await load.run('connection-rate', port, { concurrency: 8, durationMs: 300, warmupMs: 0 });
      const { kib, us } = await holdIdle(r);
      memory.set(t.name, kib);
      setupRounds.set(t.name, [us]);
      console.log(
        `${t.name}: ${kib.toFixed(1)} KiB and ${us.toFixed(0)} µs CPU per idle connection`,
      );
    }
    // One set-up round per target is at the mercy of a neighbour's burst: the set-up CPU is the
    // median of IDLE_ROUNDS rounds, the later ones alternating between the (now warm) targets.
    for (let i = 1; i < IDLE_ROUNDS; i++)
      for (const t of running) setupRounds.get(t.name)?.push((await holdIdle(t)).us);
    for (const [name, us] of setupRounds) {
      setupCpu.set(name, median(us));
      if (IDLE_ROUNDS > 1)
        console.log(`${name}: set-up µs per round ${us.map((v) => v.toFixed(0)).join(' ')}`);
    }
    await sleep(500);

    if (IDLE_ONLY) {
      for (const [name, kib] of memory)
        console.log(
          `${name.padEnd(10)} ${kib.toFixed(1).padStart(6)} KiB ${(setupCpu.get(name) ?? 0).toFixed(1).padStart(7)} µs set-up`,
        );
      return;
    }
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
      { concurrency: 64, durationMs: SLICE, warmupMs: 100 },
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
    // A scenario's rate (median over slices) and CPU per operation (× scale: µs, or s per GB).
    const medianRate = (acc: Map<string, Rate>) => (n: string) => median(acc.get(n)?.rates ?? []);
    const cpuPerOp = (acc: Map<string, Rate>, scale: number) => (n: string) =>
      ((acc.get(n)?.cpu ?? 0) / (acc.get(n)?.ops ?? 1)) * scale;
    // The targets (17): each a ratio to a peer in this run, or an absolute bound.
    const metrics: Metric[] = [
      {
        label: 'keep-alive req/s (64 conns, 1 KiB each way)',
        value: medianRate(rr),
        digits: 0,
        scenario: 'keep-alive req/s',
        unit: 'req/s',
      },
      {
        label: '  proxy CPU per request (µs)',
        value: cpuPerOp(rr, 1e6),
        digits: 1,
        scenario: 'CPU per keep-alive request',
        unit: 'µs',
        target: { vs: 'haproxy', factor: 1, lower: true, text: '≤ 1× haproxy' },
      },
      {
        label: '  p99 latency, 64 keep-alive conns (ms)',
        value: (n) => median(rr.get(n)?.p99 ?? []),
        digits: 2,
        scenario: 'p99 at 64 keep-alive conns',
        unit: 'ms',
        target: { vs: 'pipe', factor: 1, lower: true, text: '≤ 1× pipe' },
      },
      {
        label: 'new connections/s (Connection: close, 64)',
        value: medianRate(cr),
        digits: 0,
        scenario: 'new conn/s',
        unit: 'conn/s',
      },
      {
        label: '  proxy CPU per new connection (µs)',
        value: cpuPerOp(cr, 1e6),
        digits: 1,
        scenario: 'CPU per new connection',
        unit: 'µs',
        target: { vs: 'pipe', factor: 0.9, lower: true, text: '≤ 0.9× pipe' },
      },
      {
        label: `  proxy CPU to set up an idle conn (µs, ${IDLE})`,
        value: (n) => setupCpu.get(n) ?? Number.NaN,
        digits: 1,
        scenario: 'CPU to set up an idle conn',
        unit: 'µs',
        target: { vs: 'pipe', factor: 1, lower: true, text: '≤ 1× pipe' },
      },
      {
        label: 'bulk, one stream (MB/s)',
        value: medianRate(bulk),
        digits: 0,
        scenario: 'bulk MB/s',
        unit: 'MB/s',
      },
      {
        label: '  proxy CPU per GB (s)',
        value: cpuPerOp(bulk, 1),
        digits: 2,
        scenario: 'CPU per GB',
        unit: 's',
      },
      {
        label: 'RSS at rest, before any connection (MiB)',
        value: (n) => (atRest.get(n) ?? 0) / 1024 / 1024,
        digits: 1,
        scenario: 'RSS at rest',
        unit: 'MiB',
      },
      {
        label: '  peak RSS during bulk (MiB)',
        value: (n) => (bulk.get(n)?.peakRss ?? 0) / 1024 / 1024,
        digits: 1,
        scenario: 'peak RSS during bulk',
        unit: 'MiB',
        target: { abs: 48, lower: true, text: '≤ 48 MiB' },
      },
      {
        // Node itself is ~40 MiB resident before any of our code (and the proxy ~62 MiB at rest,
        // its modules loaded): the part the relay adds is this growth.
        label: '  RSS growth during bulk (MiB)',
        value: (n) => (bulk.get(n)?.growth ?? 0) / 1024 / 1024,
        digits: 1,
        scenario: 'RSS growth during bulk',
        unit: 'MiB',
      },
      {
        label: `memory per idle connection (KiB, ${IDLE})`,
        value: (n) => memory.get(n) ?? Number.NaN,
        digits: 1,
        scenario: 'memory per idle conn',
        unit: 'KiB',
        target: { abs: 8, lower: true, text: '≤ 8 KiB' },
      },
    ];
    const verdict = (m: Metric): boolean | undefined => {
      const t = m.target;
      // Without the proxy in the run (`--only pipe,floor`) there is nothing to judge.
      if (!t || !names.includes('proxy')) return undefined;
      const ours = m.value('proxy');
      const bound = t.abs ?? (t.vs && names.includes(t.vs) ? m.value(t.vs) * (t.factor ?? 1) : NaN);
      if (!Number.isFinite(bound) || !Number.isFinite(ours)) return undefined;
      return t.lower ? ours <= bound : ours >= bound;
    };
    const others = names.filter((n) => n !== 'pipe');
    const header = [
      'metric'.padEnd(46),
      ...names.map((n) => n.padStart(10)),
      ...others.map((n) => `${n}/pipe`.padStart(15)),
      'target'.padStart(14),
      'met'.padStart(5),
    ];
    console.log(`\n${header.join('')}`);
    const json: Record<string, Record<string, number>> = {};
    const rows: ProxyBenchRow[] = [];
    const peer = (n: string, m: Metric) => (names.includes(n) ? m.value(n) : undefined);
    for (const m of metrics) {
      const met = verdict(m);
      const cells = names.map((n) => m.value(n).toFixed(m.digits).padStart(10));
      const ratios = others.map((n) =>
        `${(m.value(n) / m.value('pipe')).toFixed(2)}x`.padStart(15),
      );
      console.log(
        [
          m.label.padEnd(46),
          ...cells,
          ...ratios,
          (m.target?.text ?? '').padStart(14),
          (met === undefined ? '' : met ? 'yes' : 'NO').padStart(5),
        ].join(''),
      );
      rows.push({
        scenario: m.scenario,
        unit: m.unit,
        ours: m.value('proxy'),
        baseline: m.value('pipe'),
        ratio: m.value('proxy') / m.value('pipe'),
        target: m.target?.text ?? 'info',
        met,
        haproxy: peer('haproxy', m),
        nginx: peer('nginx', m),
        workers2: peer('proxy-w2', m),
        floor: peer('floor', m),
        floorJob: peer('floor-job', m),
      });
      for (const n of names) {
        json[n] ??= {};
        (json[n] as Record<string, number>)[m.label.trim()] = m.value(n);
      }
    }
    if (names.includes('proxy-w2'))
      console.log(
        '\nproxy-w2 = the proxy with --workers 2, on both cores, which the backend and the load\n' +
          'generator also use: its rates show the contention on this 2-core machine, not scaling;\n' +
          'its CPU figures sum the primary and both workers.',
      );
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
      `${JSON.stringify({ date: new Date().toISOString(), slice: SLICE, slices: SLICES, idle: IDLE, nodeFlags: NODE_FLAGS, results: json }, null, 2)}\n`,
    );
  } finally {
    for (const t of running) await t.child.stop();
    load.child.proc.stdin?.end();
    await backend.stop();
  }
}

runBench(main);
