/**
 * Is the load generator the bottleneck? On one core (taskset -c 0) the client drives a backend
 * pinned to another core (taskset -c 1) directly, in dry-run (no pixel work), 64 connections,
 * closed loop, and prints its requests/s, its own CPU (process.cpuUsage, % of one core) and the
 * backend's CPU (/proc/<pid>/stat). The generator keeps up when the backend's core is the busy
 * one; the baseline run alongside (1 connection) shows what the same pair does unloaded.
 *
 *   npm run bench -w @tcpbalancer/client        (env BENCH_SECONDS=3 by default)
 *
 * With BENCH_RESULTS_DIR set, the figures also go to $BENCH_RESULTS_DIR/client.json
 * ({ workspace, rows: [{ scenario, unit, ours, baseline, ratio, target }] }).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cpuSecondsSync,
  type RunningApp,
  startApp,
  writeBenchResults,
} from '@tcpbalancer/test-kit';
import { pino } from 'pino';
import sharp from 'sharp';
import { parseConfig, runClient, type Summary } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const BACKEND_MAIN = path.resolve(here, '../../backend/dist/main.js');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** Warm-up runs (JIT, sharp's first calls): short, not reported. */
const WARMUP_SECONDS = Math.min(1, SECONDS);
const CLIENT_CORE = '0';
// os.cpus(), not availableParallelism(): the latter already reflects this process's pinning.
const BACKEND_CORE = os.cpus().length > 1 ? '1' : '0';

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const INSTANT_BACKEND = path.resolve(here, 'instant-backend.ts');

/** The real backend (or the instant one) through the kit, pinned to its own core when possible. */
function startBackend(instant = false): Promise<RunningApp> {
  const pinned = hasTaskset() ? { cpus: BACKEND_CORE } : {};
  if (instant)
    return startApp({ name: 'instant-backend', main: INSTANT_BACKEND }, [], {
      nodeArgs: ['--import', 'tsx'],
      ...pinned,
    });
  return startApp(
    { name: 'backend', main: BACKEND_MAIN },
    ['--port', '0', '--host', '127.0.0.1', '--name', 'bench', '--log-level', 'info'],
    pinned,
  );
}

interface Result {
  readonly name: string;
  readonly summary: Summary;
  readonly clientCpu: number;
  readonly backendCpu: number;
}

async function scenario(
  name: string,
  port: number,
  pid: number,
  input: string,
  conns: number,
  seconds = SECONDS,
): Promise<Result> {
  const config = parseConfig(
    [
      '--proxy',
      `127.0.0.1:${port}`,
      '--input',
      input,
      '--dry-run',
      '--duration',
      `${seconds}s`,
      '--conns',
      String(conns),
    ],
    {},
  );
  const cpu0 = process.cpuUsage();
  const b0 = cpuSecondsSync(pid);
  const t0 = performance.now();
  const summary = await runClient(config, { logger: pino({ level: 'silent' }) });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const b1 = cpuSecondsSync(pid);
  return {
    name,
    summary,
    clientCpu: (100 * (cpu.user + cpu.system)) / 1e6 / wall,
    backendCpu: (100 * (b1 - b0)) / wall,
  };
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'tcpb-bench-'));
  const backend = await startBackend();
  try {
    // A small JPEG: dry-run sends it and the backend answers metadata, so framing dominates.
    await writeFile(
      path.join(work, 'img.jpg'),
      await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } })
        .jpeg()
        .toBuffer(),
    );
    const pid = backend.pid;
    // Warm-up (JIT, sharp's first calls), not reported.
    await scenario('warmup', backend.port, pid, work, 8, WARMUP_SECONDS);
    const results = [
      await scenario('baseline: 1 connection', backend.port, pid, work, 1),
      await scenario('64 connections', backend.port, pid, work, 64),
    ];
    // The generator's own ceiling: the same run against a server that costs nothing.
    const instant = await startBackend(true);
    try {
      await scenario('warmup', instant.port, instant.pid, work, 8, WARMUP_SECONDS);
      results.push(await scenario('64 conns, instant server', instant.port, instant.pid, work, 64));
    } finally {
      await instant.stop();
    }
    console.log(
      `client on core ${CLIENT_CORE}, backend on core ${BACKEND_CORE}, dry-run, ${SECONDS} s each, window 4`,
    );
    console.log(
      'scenario                    req/s   p50 ms   p99 ms   client CPU   server CPU   client µs/req   server µs/req   failed',
    );
    const perReq = (cpuPct: number, rps: number) => (cpuPct * 10_000) / Math.max(1, rps);
    for (const r of results) {
      const s = r.summary;
      console.log(
        [
          r.name.padEnd(24),
          s.rps.toFixed(0).padStart(8),
          s.latencyMs.p50.toFixed(2).padStart(8),
          s.latencyMs.p99.toFixed(2).padStart(8),
          `${r.clientCpu.toFixed(0)} %`.padStart(12),
          `${r.backendCpu.toFixed(0)} %`.padStart(12),
          perReq(r.clientCpu, s.rps).toFixed(1).padStart(15),
          perReq(r.backendCpu, s.rps).toFixed(1).padStart(15),
          String(s.failed).padStart(8),
        ].join(' '),
      );
    }
    const [base, loaded, ceiling] = results as [Result, Result, Result];
    console.log(
      `ratio 64 conns / baseline req/s: ${(loaded.summary.rps / Math.max(1, base.summary.rps)).toFixed(2)}x`,
    );
    console.log(
      `ratio instant server / real backend req/s (generator ceiling vs backend): ${(
        ceiling.summary.rps / Math.max(1, loaded.summary.rps)
      ).toFixed(2)}x`,
    );
    // CPU per request does not depend on how much of its core a process got on a busy machine:
    // one full core of each side would serve 1e6 / (µs per request) requests/s.
    const clientCap = 1e6 / Math.max(1e-9, perReq(loaded.clientCpu, loaded.summary.rps));
    const backendCap = 1e6 / Math.max(1e-9, perReq(loaded.backendCpu, loaded.summary.rps));
    console.log(
      `one core, 64 connections: client ≈ ${clientCap.toFixed(0)} req/s, backend ≈ ${backendCap.toFixed(0)} req/s: ratio ${(
        clientCap / backendCap
      ).toFixed(2)}x`,
    );
    const clientUs = perReq(loaded.clientCpu, loaded.summary.rps);
    const backendUs = perReq(loaded.backendCpu, loaded.summary.rps);
    await writeResults([
      {
        scenario: 'CPU per request, 64 connections, dry-run, closed loop: client vs backend',
        unit: 'µs/request',
        ours: round(clientUs),
        baseline: round(backendUs),
        ratio: round(clientUs / Math.max(1e-9, backendUs), 3),
        target: 'client < backend',
      },
      {
        scenario: 'req/s, 64 connections: instant server (generator ceiling) vs real backend',
        unit: 'req/s',
        ours: round(ceiling.summary.rps),
        baseline: round(loaded.summary.rps),
        ratio: round(ceiling.summary.rps / Math.max(1, loaded.summary.rps), 3),
        target: 'ceiling > backend (ratio > 1)',
      },
      {
        scenario: 'req/s against the real backend: 64 connections vs 1 connection',
        unit: 'req/s',
        ours: round(loaded.summary.rps),
        baseline: round(base.summary.rps),
        ratio: round(loaded.summary.rps / Math.max(1, base.summary.rps), 3),
        target: '64 connections > 1 connection (ratio > 1)',
      },
    ]);
    console.log(
      loaded.backendCpu >= loaded.clientCpu
        ? 'the backend is the busier side: the generator is not the bottleneck'
        : 'the client is the busier side: the generator may be the bottleneck',
    );
  } finally {
    await backend.stop();
    await rm(work, { recursive: true, force: true });
  }
}

function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

interface ResultRow {
  readonly scenario: string;
  readonly unit: string;
  readonly ours: number;
  readonly baseline: number;
  readonly ratio: number;
  readonly target: string;
}

/** The benchmark convention: $BENCH_RESULTS_DIR/client.json when that variable is set. */
async function writeResults(rows: readonly ResultRow[]): Promise<void> {
  const file = await writeBenchResults('client', '@tcpbalancer/client', rows);
  if (file) console.log(`results written to ${file}`);
}

// Pin this process (the client) to one core: re-exec under taskset once.
if (process.env.TCPB_BENCH_PINNED !== '1' && hasTaskset()) {
  const child = spawn(
    'taskset',
    ['-c', CLIENT_CORE, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, TCPB_BENCH_PINNED: '1' },
    },
  );
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  await main();
}
