#!/usr/bin/env node
// Soak: the long load tests that do not belong in `npm test`. Three phases, each printing its
// figures and PASS/FAIL against the margins stated beside it:
//
//   hold   N concurrent connections (default 10,000) through the proxy, held open, checked live
//          (an echo through each), then closed, twice: the proxy's RSS and open fds (summed over
//          its process tree) must return to the starting level ± margin, the live heap (after a
//          forced full GC: SIGUSR2 → heap snapshot) too, and nothing may grow from cycle to cycle.
//   short  M short connections (default 200,000) through the proxy, C at a time, each one
//          connect → 16 bytes → echo → close: live heap, open fds, active handles and timers
//          (read from the proxy's /metrics, the heap after a forced full GC) must not grow.
//   rate   the client in open-loop rate mode at F (80 %) of the capacity measured just before,
//          for W consecutive windows (default 10 × 60 s, one client run per window because the
//          client reports p99 per run): zero errors, p99 stable across windows.
//
//   npm run soak                          # all phases, full size (~15-20 min)
//   node scripts/soak.mjs --quick         # small sizes, ~1-2 min: to check the script itself
//   node scripts/soak.mjs --phases hold,short
//
// Sizes via env: SOAK_CONNS, SOAK_HOLD_SECONDS, SOAK_HOLD_CYCLES (2), SOAK_SHORT, SOAK_SHORT_CONCURRENCY, SOAK_WORKERS
// (proxy workers in the hold phase), SOAK_RATE_WINDOWS, SOAK_WINDOW_SECONDS, SOAK_RATE_FRACTION,
// SOAK_CAPACITY_SECONDS. The hold phase needs ~2 descriptors per connection in the proxy and one
// in this process and in the echo upstream: the script re-executes itself under
// `ulimit -n <hard limit>` when the soft limit is lower, and with 10,000 connections the proxy
// runs 2 workers (the hard limit here is 20,000 per process).
//
// Plain Node ESM: no build step beyond the workspaces (apps/*/dist). Exit 0 only if every phase passed.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

// Read once; the soak's own knobs are SOAK_*, nothing here is a turbo task input.
const ENV = process.env;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BINS = {
  proxy: join(ROOT, 'apps/proxy/dist/main.js'),
  backend: join(ROOT, 'apps/backend/dist/main.js'),
  client: join(ROOT, 'apps/client/dist/main.js'),
};

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    phases: { type: 'string', default: 'hold,short,rate' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(1, 27)
      .join('\n')
      .replace(/^\/\/ ?/gm, ''),
  );
  process.exit(0);
}
const Q = flags.quick;
const num = (name, full, quick) => {
  const v = process.env[name];
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`${name} must be a positive number, got ${v}`);
    return n;
  }
  return Q ? quick : full;
};
const CFG = {
  conns: num('SOAK_CONNS', 10_000, 1_000),
  holdSeconds: num('SOAK_HOLD_SECONDS', 10, 3),
  holdCycles: num('SOAK_HOLD_CYCLES', 2, 2),
  short: num('SOAK_SHORT', 200_000, 5_000),
  shortConcurrency: num('SOAK_SHORT_CONCURRENCY', 64, 32),
  rateWindows: num('SOAK_RATE_WINDOWS', 10, 3),
  windowSeconds: num('SOAK_WINDOW_SECONDS', 60, 10),
  rateFraction: num('SOAK_RATE_FRACTION', 0.8, 0.8),
  capacitySeconds: num('SOAK_CAPACITY_SECONDS', 20, 8),
};
CFG.workers = num('SOAK_WORKERS', CFG.conns > 9_000 ? 2 : 1, 1);
const PHASES = flags.phases.split(',').map((s) => s.trim());

// ---------------------------------------------------------------- descriptor limit
function softNofile() {
  return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
}
function hardNofile() {
  const h = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  return h === 'unlimited' ? 1_048_576 : Number(h);
}
if (softNofile() < Math.min(hardNofile(), CFG.conns + 1000) && !ENV.SOAK_REEXEC) {
  // Node cannot raise its own limit; a shell can raise the soft limit up to the hard one.
  const hard = hardNofile();
  console.log(
    `raising the open-file soft limit ${softNofile()} → ${hard} (re-executing under ulimit -n)`,
  );
  const child = spawn(
    'sh',
    ['-c', `ulimit -n ${hard} && exec "$0" "$@"`, process.execPath, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, SOAK_REEXEC: '1' },
    },
  );
  const [code, sig] = await once(child, 'exit');
  process.exit(code ?? (sig ? 1 : 0));
}

// ---------------------------------------------------------------- children
const children = new Set();
function killAll() {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
}

/**
 * Spawns a child in its own process group, stdout/stderr to a log file, cwd = the log folder.
 * `--heapsnapshot-signal=SIGUSR2`: a heap snapshot forces a full garbage collection, which is how
 * the hold phase measures the live heap (the proxy has no GC endpoint, rightly).
 */
function start(name, args, logDir) {
  const log = join(logDir, `${name}.log`);
  const fd = openLog(log);
  const c = spawn(process.execPath, ['--heapsnapshot-signal=SIGUSR2', ...args], {
    cwd: logDir,
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  c.on('error', () => {});
  children.add(c);
  c.once('exit', () => children.delete(c));
  c.log = log;
  c.logDir = logDir;
  return c;
}
function openLog(path) {
  writeFileSync(path, '');
  return openSync(path, 'a');
}

async function stop(c, graceMs = 8000) {
  if (c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, 'SIGTERM');
  } catch {
    return;
  }
  const t = setTimeout(() => {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, graceMs);
  await once(c, 'exit');
  clearTimeout(t);
}

async function freePort() {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const p = s.address().port;
  await new Promise((r) => s.close(r));
  return p;
}

/** Waits until something accepts on the port. */
async function waitPort(port, timeoutMs = 15_000, child) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((r) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    if (child && child.exitCode !== null)
      throw new Error(`child exited (${child.exitCode}); see ${child.log}`);
    if (Date.now() > end)
      throw new Error(
        `nothing listening on ${port} after ${timeoutMs} ms${child ? `; see ${child.log}` : ''}`,
      );
    await sleep(100);
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// An echo upstream in its own process, so its descriptors do not count against ours.
const ECHO_SRC = `
const net = require('node:net');
const s = net.createServer({ allowHalfOpen: true }, (c) => { c.on('error', () => {}); c.setNoDelay(true); c.pipe(c); });
s.maxConnections = 0; s.on('error', (e) => { console.error(e); process.exit(1); });
s.listen(Number(process.argv[1]), '127.0.0.1', 2048, () => console.log(JSON.stringify({ msg: 'listening', port: s.address().port })));
`;

// ---------------------------------------------------------------- /proc figures
function treePids(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const t of readdirSync(`/proc/${out[i]}/task`)) {
        const kids = readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
        if (kids) for (const k of kids.split(/\s+/)) out.push(Number(k));
      }
    } catch {
      // gone
    }
  }
  return out;
}
function rssKiB(pid) {
  try {
    const m = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}
function fds(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}
/** RSS (MiB) and fds summed over a process and its descendants. */
function treeFigures(pid) {
  const pids = treePids(pid);
  return {
    procs: pids.length,
    rssMiB: pids.reduce((s, p) => s + rssKiB(p), 0) / 1024,
    fds: pids.reduce((s, p) => s + fds(p), 0),
  };
}

async function metrics(port) {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  const get = (re) => {
    let sum = 0;
    let found = false;
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = re.exec(line);
      if (m) {
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
        found = true;
      }
    }
    return found ? sum : Number.NaN;
  };
  return {
    heapUsedMiB: get(/^\w*nodejs_heap_size_used_bytes(\{[^}]*\})? /) / 2 ** 20,
    fds: get(/^\w*process_open_fds(\{[^}]*\})? /),
    handles: get(/^\w*nodejs_active_handles_total(\{[^}]*\})? /),
    timers: get(/^\w*nodejs_active_resources\{[^}]*type="Timeout"[^}]*\} /) || 0,
    rssMiB: get(/^\w*process_resident_memory_bytes(\{[^}]*\})? /) / 2 ** 20,
  };
}

// ---------------------------------------------------------------- reporting
const results = [];
function verdict(phase, checks, figures) {
  const pass = checks.every((c) => c.ok);
  for (const c of checks) console.log(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}`);
  console.log(`${pass ? 'PASS' : 'FAIL'} ${phase}`);
  results.push({
    phase,
    pass,
    figures,
    checks: checks.map((c) => `${c.ok ? 'ok' : 'FAIL'}: ${c.what}`),
  });
  return pass;
}
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : String(x));

// ---------------------------------------------------------------- phase: hold
async function phaseHold(logDir) {
  const N = CFG.conns;
  console.log(
    `\n== hold: ${N} concurrent connections through the proxy (${CFG.workers} worker(s)), held ${CFG.holdSeconds}s`,
  );
  const echoPort = await freePort();
  const echo = spawn(process.execPath, ['-e', ECHO_SRC, String(echoPort)], {
    detached: true,
    stdio: 'ignore',
  });
  echo.on('error', () => {});
  children.add(echo);
  await waitPort(echoPort);
  const port = await freePort();
  const holdMetricsPort = await freePort();
  heapMiB = async () => {
    try {
      return (await metrics(holdMetricsPort)).heapUsedMiB;
    } catch {
      return Number.NaN;
    }
  };
  heapOf = async () => {
    try {
      const m = await metrics(holdMetricsPort);
      return `heap used ${f1(m.heapUsedMiB)} MiB`;
    } catch {
      return 'heap n/a';
    }
  };
  const proxy = start(
    'proxy-hold',
    [
      BINS.proxy,
      ...['--host', '127.0.0.1', '--port', String(port), '-u', `127.0.0.1:${echoPort}`],
      ...[
        '--max-conns',
        '0',
        '--idle-timeout',
        '0',
        '--health-interval',
        '0',
        '--workers',
        String(CFG.workers),
      ],
      ...['--log-level', 'warn', '--metrics-port', String(holdMetricsPort)],
    ],
    logDir,
  );
  try {
    await waitPort(port, 20_000, proxy);
    await waitPort(holdMetricsPort, 20_000, proxy);
    // A few connections to warm the code paths, then settle.
    await shortConns(port, 200, 20);
    await sleep(1500);
    await fullGc(proxy.pid, proxy.logDir);
    const baseHeap = await heapMiB();
    const base = treeFigures(proxy.pid);
    const perProc = (_f) =>
      treePids(proxy.pid)
        .map((p) => f1(rssKiB(p) / 1024))
        .join(' + ');
    console.log(
      `  start: ${base.procs} process(es), RSS ${f1(base.rssMiB)} MiB (${perProc()}), fds ${base.fds}, ${await heapOf()}`,
    );
    const cycles = [];
    for (let cycle = 1; cycle <= CFG.holdCycles; cycle++)
      cycles.push(await holdCycle(port, proxy, base, cycle, perProc));
    const last = cycles[cycles.length - 1];
    const first = cycles[0];
    const rssMargin = Math.max(64, 0.25 * (first.peak.rssMiB - base.rssMiB));
    const checks = [
      {
        ok: cycles.every((c) => c.failedOpen === 0),
        what: `all ${N} connections opened and echoed, every cycle (${cycles.map((c) => c.failedOpen).join(', ')} failed)`,
      },
      {
        ok: cycles.every((c) => c.stillOpen === N),
        what: `all stayed open for ${CFG.holdSeconds}s (${cycles.map((c) => c.stillOpen).join(', ')})`,
      },
      {
        ok: cycles.every((c) => c.peak.fds - base.fds >= N),
        what: `the proxy really held them: +${first.peak.fds - base.fds} fds ≥ ${N}`,
      },
      {
        ok: cycles.every((c) => c.after.fds <= base.fds + 16),
        what: `fds back to start ± 16 after every cycle: ${base.fds} → ${cycles.map((c) => c.after.fds).join(', ')}`,
      },
      {
        ok: cycles.every((c) => c.liveHeap <= baseHeap + 8),
        what: `live JS heap after a full GC back to start + 8 MiB (no leak): ${f1(baseHeap)} → ${cycles.map((c) => f1(c.liveHeap)).join(', ')} MiB`,
      },
      {
        ok: last.after.rssMiB <= base.rssMiB + rssMargin,
        what: `RSS back to start + max(64 MiB, 25 % of the peak growth) = +${f1(rssMargin)}: ${f1(base.rssMiB)} → ${cycles.map((c) => f1(c.after.rssMiB)).join(' → ')} MiB`,
      },
    ];
    if (cycles.length > 1) {
      checks.push({
        ok: last.after.rssMiB <= first.after.rssMiB + 32,
        what: `no growth from cycle to cycle (retention, not a leak): after cycle 1 ${f1(first.after.rssMiB)}, after cycle ${cycles.length} ${f1(last.after.rssMiB)} MiB (≤ +32)`,
      });
    }
    return verdict('hold', checks, { conns: N, workers: CFG.workers, base, baseHeap, cycles });
  } finally {
    await stop(proxy);
    try {
      process.kill(-echo.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

/**
 * Forces a full GC in every process of the tree: SIGUSR2 makes each write a heap snapshot
 * (which collects first); waits for the files, deletes them.
 */
async function fullGc(pid, dir) {
  const pids = treePids(pid);
  const before = new Set(readdirSync(dir));
  for (const p of pids) {
    try {
      process.kill(p, 'SIGUSR2');
    } catch {
      // gone
    }
  }
  const end = Date.now() + 120_000;
  let files = [];
  let sizes = '';
  for (;;) {
    await sleep(1000);
    files = readdirSync(dir).filter((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    const now = files.map((f) => statSync(join(dir, f)).size).join(',');
    if (files.length >= pids.length && now === sizes) break;
    sizes = now;
    if (Date.now() > end) break;
  }
  for (const f of files) rmSync(join(dir, f), { force: true });
  return files.length;
}

/** The proxy's heap as /metrics reports it (summed over workers when it aggregates). */
let heapOf = async () => 'heap n/a';
let heapMiB = async () => Number.NaN;

/** One cycle: open N (each checked with an echo), hold, close, settle; returns the figures. */
async function holdCycle(port, proxy, base, cycle, perProc) {
  const N = CFG.conns;
  const sockets = [];
  const t0 = performance.now();
  let failedOpen = 0;
  const open = async () => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    sockets.push(s);
    try {
      await once(s, 'connect');
      s.write('x');
      const [b] = await Promise.race([once(s, 'data'), sleep(20_000).then(() => [undefined])]);
      if (!b) throw new Error('no echo');
    } catch {
      failedOpen++;
    }
  };
  for (let i = 0; i < N; i += 200)
    await Promise.all(Array.from({ length: Math.min(200, N - i) }, open));
  const openSec = (performance.now() - t0) / 1000;
  await sleep(CFG.holdSeconds * 1000);
  const peak = treeFigures(proxy.pid);
  const stillOpen = sockets.filter((s) => !s.destroyed).length;
  console.log(
    `  cycle ${cycle}: opened ${N} in ${openSec.toFixed(1)} s (${failedOpen} failed); held ${CFG.holdSeconds}s: RSS ${f1(peak.rssMiB)} MiB (+${f1(peak.rssMiB - base.rssMiB)}; ${perProc()}), fds ${peak.fds} (+${peak.fds - base.fds}), ${await heapOf()}, still open ${stillOpen}`,
  );
  for (const s of sockets) s.end();
  const tClose = performance.now();
  let after = treeFigures(proxy.pid);
  while (after.fds > base.fds + 16 && performance.now() - tClose < 30_000) {
    await sleep(250);
    after = treeFigures(proxy.pid);
  }
  const fdsBackSec = (performance.now() - tClose) / 1000;
  for (const s of sockets) s.destroy();
  // Settle the way a live proxy does: some ordinary traffic (the garbage collector runs on
  // allocation, not on a timer), then a quiet moment for the allocator to hand memory back.
  await shortConns(port, 2000, 20);
  await sleep(3000);
  const settled = treeFigures(proxy.pid);
  const settledHeap = await heapOf();
  const snaps = await fullGc(proxy.pid, proxy.logDir);
  await sleep(2000);
  after = treeFigures(proxy.pid);
  const liveHeap = await heapMiB();
  console.log(
    `  cycle ${cycle}: settled: RSS ${f1(settled.rssMiB)} MiB, ${settledHeap}; after a full GC (${snaps} heap snapshot(s)): RSS ${f1(after.rssMiB)} MiB, ${await heapOf()}`,
  );
  const perConnKiB = ((peak.rssMiB - base.rssMiB) * 1024) / N;
  console.log(
    `  cycle ${cycle}: closed; fds back to ${after.fds} in ${fdsBackSec.toFixed(1)} s; after settling RSS ${f1(after.rssMiB)} MiB (${after.rssMiB >= base.rssMiB ? '+' : ''}${f1(after.rssMiB - base.rssMiB)}; ${perProc()}), ${await heapOf()}; ~${f1(perConnKiB)} KiB RSS per held connection`,
  );
  return { cycle, failedOpen, stillOpen, openSec, peak, after, liveHeap, fdsBackSec, perConnKiB };
}

/** `total` connect → 16 bytes → echo → close, `concurrency` at a time; returns failures. */
async function shortConns(port, total, concurrency, onProgress) {
  let next = 0;
  let failed = 0;
  const msg = Buffer.from('0123456789abcdef');
  const one = () =>
    new Promise((resolveOne) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      let got = 0;
      const timer = setTimeout(() => done(false), 10_000);
      const done = (ok) => {
        clearTimeout(timer);
        if (!ok) failed++;
        s.destroy();
        resolveOne();
      };
      s.on('error', () => done(false));
      s.on('connect', () => s.end(msg));
      s.on('data', (b) => {
        got += b.length;
      });
      s.on('end', () => done(got === msg.length));
    });
  const worker = async () => {
    while (next < total) {
      next++;
      await one();
      if (onProgress) await onProgress(next);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return failed;
}

// ---------------------------------------------------------------- phase: short
async function phaseShort(logDir) {
  const M = CFG.short;
  console.log(
    `\n== short: ${M} short connections through the proxy, ${CFG.shortConcurrency} at a time`,
  );
  const echoPort = await freePort();
  const echo = spawn(process.execPath, ['-e', ECHO_SRC, String(echoPort)], {
    detached: true,
    stdio: 'ignore',
  });
  echo.on('error', () => {});
  children.add(echo);
  await waitPort(echoPort);
  const port = await freePort();
  const mport = await freePort();
  const proxy = start(
    'proxy-short',
    [
      BINS.proxy,
      ...[
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '-u',
        `127.0.0.1:${echoPort}`,
        '--metrics-port',
        String(mport),
      ],
      ...[
        '--max-conns',
        '0',
        '--idle-timeout',
        '30000',
        '--health-interval',
        '1000',
        '--log-level',
        'warn',
      ],
    ],
    logDir,
  );
  try {
    await waitPort(port, 20_000, proxy);
    await waitPort(mport, 20_000, proxy);
    // Warm up (code compiled, pools sized), then a full GC: the live-heap baseline.
    await shortConns(port, 2000, CFG.shortConcurrency);
    await sleep(1000);
    await fullGc(proxy.pid, logDir);
    const base = await metrics(mport);
    const checkpoints = [];
    const step = Math.max(1, Math.floor(M / 10));
    let nextMark = step;
    const t0 = performance.now();
    const failed = await shortConns(port, M, CFG.shortConcurrency, async (n) => {
      if (n >= nextMark) {
        nextMark += step;
        const m = await metrics(mport);
        checkpoints.push({ n, sec: (performance.now() - t0) / 1000, ...m });
      }
    });
    const sec = (performance.now() - t0) / 1000;
    // After the last close: settle, then a full GC so that the heap figure is the live heap.
    await sleep(2000);
    const settled = await metrics(mport);
    await fullGc(proxy.pid, logDir);
    const end = await metrics(mport);
    const row = (label, c) =>
      `  ${label.padStart(16)} ${(c.sec === undefined ? '' : c.sec.toFixed(0)).padStart(5)} ${f1(c.heapUsedMiB).padStart(9)} ${String(c.fds).padStart(5)} ${String(c.handles).padStart(7)} ${String(c.timers).padStart(7)} ${f1(c.rssMiB).padStart(8)}`;
    console.log('  checkpoint      conns   s     heap MiB  fds  handles  timers  RSS MiB');
    console.log(row('start (full GC)', base));
    for (const c of checkpoints) console.log(row(String(c.n), c));
    console.log(row('end (settled)', settled));
    console.log(row('end (full GC)', end));
    console.log(
      `  ${M} connections in ${sec.toFixed(1)} s (${(M / sec).toFixed(0)}/s), ${failed} failed`,
    );
    return verdict(
      'short',
      [
        { ok: failed === 0, what: `every connection echoed (${failed} failed)` },
        {
          ok: end.heapUsedMiB <= base.heapUsedMiB + 8,
          what: `live heap (after a full GC) ≤ start + 8 MiB: ${f1(base.heapUsedMiB)} → ${f1(end.heapUsedMiB)}`,
        },
        { ok: end.fds <= base.fds + 4, what: `open fds ≤ start + 4: ${base.fds} → ${end.fds}` },
        {
          ok: end.handles <= base.handles + 4,
          what: `active handles ≤ start + 4: ${base.handles} → ${end.handles}`,
        },
        {
          ok: end.timers <= base.timers + 4,
          what: `active timers ≤ start + 4: ${base.timers} → ${end.timers}`,
        },
        {
          ok: end.rssMiB <= base.rssMiB + 64,
          what: `RSS ≤ start + 64 MiB: ${f1(base.rssMiB)} → ${f1(end.rssMiB)}`,
        },
      ],
      { conns: M, seconds: sec, perSecond: M / sec, base, settled, end, checkpoints },
    );
  } finally {
    await stop(proxy);
    try {
      process.kill(-echo.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

// ---------------------------------------------------------------- phase: rate
async function makeCorpus(dir) {
  const { default: sharp } = await import('sharp');
  mkdirSync(dir, { recursive: true });
  const img = (w, h, seed, ch = 3) => {
    const buf = Buffer.alloc(w * h * ch);
    let a = seed;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * ch;
        a = (a * 1103515245 + 12345) >>> 0;
        const speck = a >>> 24 < 12 ? a & 127 : 0;
        buf[i] = (seed * 7 + (x * 255) / w + speck) & 255;
        buf[i + 1] = ((y * 255) / h) & 255;
        buf[i + 2] = ((x ^ y) + speck) & 255;
        if (ch === 4) buf[i + 3] = (128 + (x * 127) / w) | 0;
      }
    }
    return sharp(buf, { raw: { width: w, height: h, channels: ch } });
  };
  for (let i = 0; i < 4; i++) {
    writeFileSync(
      join(dir, `photo-${i}.jpg`),
      await img(1024, 768, 10 + i)
        .jpeg({ quality: 85 })
        .toBuffer(),
    );
    writeFileSync(
      join(dir, `badge-${i}.png`),
      await img(512, 384, 20 + i, 4)
        .png()
        .toBuffer(),
    );
    writeFileSync(
      join(dir, `shot-${i}.webp`),
      await img(800, 600, 30 + i)
        .webp({ quality: 80 })
        .toBuffer(),
    );
  }
}

async function runClient(args, timeoutMs) {
  const c = spawn(process.execPath, [BINS.client, ...args], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  children.add(c);
  let out = '';
  let err = '';
  c.stdout.on('data', (b) => {
    out += b;
  });
  c.stderr.on('data', (b) => {
    if (err.length < 200_000) err += b;
  });
  const t = setTimeout(() => {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, timeoutMs);
  const [code] = await once(c, 'close');
  clearTimeout(t);
  children.delete(c);
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{') && l.includes('"requests"'));
  let summary;
  try {
    summary = line ? JSON.parse(line) : undefined;
  } catch {
    summary = undefined;
  }
  return { code, summary, stderr: err };
}

async function phaseRate(logDir, work) {
  console.log(
    `\n== rate: capacity, then ${CFG.rateWindows} × ${CFG.windowSeconds}s at ${Math.round(CFG.rateFraction * 100)} % of it`,
  );
  const input = join(work, 'corpus');
  await makeCorpus(input);
  const bports = [await freePort(), await freePort(), await freePort()];
  const backends = bports.map((p, i) =>
    start(
      `backend-${i + 1}`,
      [
        BINS.backend,
        '--host',
        '127.0.0.1',
        '--port',
        String(p),
        '--name',
        `b${i + 1}`,
        '--log-level',
        'warn',
      ],
      logDir,
    ),
  );
  const port = await freePort();
  const proxy = start(
    'proxy-rate',
    [
      BINS.proxy,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      ...bports.flatMap((p) => ['-u', `127.0.0.1:${p}`]),
      '--log-level',
      'warn',
    ],
    logDir,
  );
  const base = [
    '--proxy',
    `127.0.0.1:${port}`,
    '--input',
    input,
    '--width',
    '320',
    '--height',
    '240',
    '--json',
    '--log-level',
    'warn',
  ];
  try {
    for (let i = 0; i < 3; i++) await waitPort(bports[i], 20_000, backends[i]);
    await waitPort(port, 20_000, proxy);
    await runClient([...base, '--duration', '3s', '--conns', '3'], 60_000); // warm-up
    const cap = await runClient(
      [...base, '--duration', `${CFG.capacitySeconds}s`, '--conns', '6', '--window', '2'],
      (CFG.capacitySeconds + 60) * 1000,
    );
    if (!cap.summary)
      throw new Error(
        `capacity run printed no summary (exit ${cap.code}): ${cap.stderr.slice(-500)}`,
      );
    const capacity = cap.summary.rps;
    const rate = Math.max(1, Math.round(capacity * CFG.rateFraction * 10) / 10);
    console.log(
      `  capacity (closed loop, 6×2 in flight): ${f1(capacity)} images/s, p99 ${f1(cap.summary.latencyMs.p99)} ms → rate ${rate}/s`,
    );
    console.log(
      '  window  requests  ok      failed  rps     p50 ms  p99 ms  max ms  proxy RSS  backends RSS',
    );
    const windows = [];
    for (let w = 1; w <= CFG.rateWindows; w++) {
      const r = await runClient(
        [
          ...base,
          '--rate',
          String(rate),
          '--duration',
          `${CFG.windowSeconds}s`,
          '--conns',
          '6',
          '--window',
          '8',
          '--timeout',
          '30s',
        ],
        (CFG.windowSeconds + 90) * 1000,
      );
      const s = r.summary ?? {
        requests: 0,
        ok: 0,
        failed: Number.NaN,
        rps: 0,
        latencyMs: { p50: Number.NaN, p99: Number.NaN, max: Number.NaN },
      };
      const proxyRss = treeFigures(proxy.pid).rssMiB;
      const backRss = backends.reduce((sum, b) => sum + treeFigures(b.pid).rssMiB, 0);
      const load = loadavg()[0];
      windows.push({
        load,
        w,
        code: r.code,
        requests: s.requests,
        ok: s.ok,
        failed: s.failed,
        rps: s.rps,
        ...s.latencyMs,
        proxyRss,
        backRss,
      });
      console.log(
        `  ${String(w).padStart(6)}  ${String(s.requests).padStart(8)}  ${String(s.ok).padStart(6)}  ${String(s.failed).padStart(6)}  ${f1(s.rps).padStart(6)}  ${f1(s.latencyMs.p50).padStart(6)}  ${f1(s.latencyMs.p99).padStart(6)}  ${f1(s.latencyMs.max).padStart(6)}  ${f1(proxyRss).padStart(9)}  ${f1(backRss).padStart(12)}  ${load.toFixed(1).padStart(8)}`,
      );
      if (!r.summary) console.log(`    (no summary, exit ${r.code}): ${r.stderr.slice(-300)}`);
    }
    const p99s = windows.map((w) => w.p99).sort((a, b) => a - b);
    const median = p99s[Math.floor(p99s.length / 2)];
    const third = Math.max(1, Math.floor(windows.length / 3));
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(windows.slice(0, third).map((w) => w.p99));
    const last = mean(windows.slice(-third).map((w) => w.p99));
    const errors = windows.reduce((s, w) => s + (Number.isFinite(w.failed) ? w.failed : 1), 0);
    const expected = rate * CFG.windowSeconds;
    const minDone = Math.min(...windows.map((w) => w.ok));
    const busy = windows.filter((w) => w.load > availableParallelism() * 1.5).length;
    if (busy > 0) {
      console.log(
        `  note: in ${busy} window(s) the machine's load average exceeded 1.5 × its ${availableParallelism()} cores: other work competed for the CPU, so latency figures there say more about the machine than about the system`,
      );
    }
    return verdict(
      'rate',
      [
        {
          ok: errors === 0 && windows.every((w) => w.code === 0),
          what: `zero errors, every window exit 0 (${errors} failed)`,
        },
        {
          ok: minDone >= expected * 0.95,
          what: `each window kept the rate: min ok ${minDone} ≥ 95 % of ${Math.round(expected)}`,
        },
        {
          ok: p99s[p99s.length - 1] <= Math.max(2 * median, median + 20),
          what: `worst window p99 ≤ max(2 × median, median + 20 ms): ${f1(p99s[p99s.length - 1])} vs median ${f1(median)}`,
        },
        {
          ok: last <= 1.5 * first + 5,
          what: `no upward drift: mean p99 of the last third ≤ 1.5 × first third + 5 ms: ${f1(first)} → ${f1(last)}`,
        },
      ],
      { capacity, rate, windows },
    );
  } finally {
    await stop(proxy);
    await Promise.all(backends.map((b) => stop(b)));
  }
}

// ---------------------------------------------------------------- main
for (const [k, p] of Object.entries(BINS)) {
  try {
    readFileSync(p);
  } catch {
    console.error(`${k} is not built (${p}): run \`npx turbo run build\` first`);
    process.exit(2);
  }
}
const work = mkdtempSync(join(tmpdir(), 'tcpb-soak-'));
const logDir = join(work, 'logs');
mkdirSync(logDir);
console.log(
  `soak (${Q ? 'quick' : 'full'}) node ${process.version}, fd limit ${softNofile()}; child logs in ${logDir}`,
);
console.log(`config: ${JSON.stringify(CFG)}; phases: ${PHASES.join(',')}`);
let ok = true;
try {
  if (PHASES.includes('hold')) ok = (await phaseHold(logDir)) && ok;
  if (PHASES.includes('short')) ok = (await phaseShort(logDir)) && ok;
  if (PHASES.includes('rate')) ok = (await phaseRate(logDir, work)) && ok;
} catch (err) {
  console.error(`soak aborted: ${err?.stack ?? err}`);
  ok = false;
} finally {
  killAll();
}
console.log('\n== summary');
for (const r of results) console.log(`  ${r.pass ? 'PASS' : 'FAIL'}  ${r.phase}`);
if (ENV.SOAK_RESULTS)
  writeFileSync(ENV.SOAK_RESULTS, `${JSON.stringify({ config: CFG, results }, null, 2)}\n`);
if (ok) rmSync(work, { recursive: true, force: true });
else console.log(`child logs kept in ${logDir}`);
process.exit(ok ? 0 : 1);
