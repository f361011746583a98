/**
 * Phase hold: N concurrent connections through the proxy, held open, checked live (an echo
 * through each), then closed, `holdCycles` times. The proxy's RSS and fds (summed over its
 * process tree) must come back to the starting level ± margin, the live heap (after a forced
 * full GC) too, and nothing may grow from cycle to cycle.
 */
import { once } from 'node:events';
import net from 'node:net';
import { freePort, sleep } from '@tcpbalancer/test-kit';
import type { SoakConfig } from './config.js';
import {
  type Check,
  f1,
  fullGc,
  listening,
  metrics,
  type PhaseResult,
  perProcessRss,
  type SoakChild,
  shortConns,
  startChild,
  startEcho,
  type TreeFigures,
  treeFigures,
  verdict,
} from './support.js';

interface Cycle {
  readonly cycle: number;
  readonly failedOpen: number;
  readonly stillOpen: number;
  readonly openSec: number;
  readonly peak: TreeFigures;
  readonly after: TreeFigures;
  readonly liveHeap: number;
  readonly fdsBackSec: number;
  readonly perConnKiB: number;
}

/** The proxy's heap as /metrics reports it. */
function heapReader(metricsPort: number) {
  const mib = async () => {
    try {
      return (await metrics(metricsPort)).heapUsedMiB;
    } catch {
      return Number.NaN;
    }
  };
  const text = async () => {
    const h = await mib();
    return Number.isFinite(h) ? `heap used ${f1(h)} MiB` : 'heap n/a';
  };
  return { mib, text };
}

/** Opens `n` connections, 200 at a time, each checked with one echoed byte. */
async function openAll(port: number, n: number, sockets: net.Socket[]): Promise<number> {
  let failed = 0;
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
      failed++;
    }
  };
  for (let i = 0; i < n; i += 200)
    await Promise.all(Array.from({ length: Math.min(200, n - i) }, open));
  return failed;
}

/** One cycle: open N, hold, close, settle; returns the figures. */
async function holdCycle(
  cfg: SoakConfig,
  port: number,
  proxy: SoakChild,
  base: TreeFigures,
  cycle: number,
  heap: ReturnType<typeof heapReader>,
): Promise<Cycle> {
  const N = cfg.conns;
  const pid = proxy.app.pid;
  const sockets: net.Socket[] = [];
  const t0 = performance.now();
  const failedOpen = await openAll(port, N, sockets);
  const openSec = (performance.now() - t0) / 1000;
  await sleep(cfg.holdSeconds * 1000);
  const peak = await treeFigures(pid);
  const stillOpen = sockets.filter((s) => !s.destroyed).length;
  console.log(
    `  cycle ${cycle}: opened ${N} in ${openSec.toFixed(1)} s (${failedOpen} failed); held ${cfg.holdSeconds}s: RSS ${f1(peak.rssMiB)} MiB (+${f1(peak.rssMiB - base.rssMiB)}; ${perProcessRss(pid)}), fds ${peak.fds} (+${peak.fds - base.fds}), ${await heap.text()}, still open ${stillOpen}`,
  );
  for (const s of sockets) s.end();
  const tClose = performance.now();
  let after = await treeFigures(pid);
  while (after.fds > base.fds + 16 && performance.now() - tClose < 30_000) {
    await sleep(250);
    after = await treeFigures(pid);
  }
  const fdsBackSec = (performance.now() - tClose) / 1000;
  for (const s of sockets) s.destroy();
  // Settle the way a live proxy does: some ordinary traffic (the garbage collector runs on
  // allocation, not on a timer), then a quiet moment for the allocator to hand memory back.
  await shortConns(port, 2000, 20);
  await sleep(3000);
  const settled = await treeFigures(pid);
  const settledHeap = await heap.text();
  const snaps = await fullGc(pid, proxy.logDir);
  await sleep(2000);
  after = await treeFigures(pid);
  const liveHeap = await heap.mib();
  console.log(
    `  cycle ${cycle}: settled: RSS ${f1(settled.rssMiB)} MiB, ${settledHeap}; after a full GC (${snaps} heap snapshot(s)): RSS ${f1(after.rssMiB)} MiB, ${await heap.text()}`,
  );
  const perConnKiB = ((peak.rssMiB - base.rssMiB) * 1024) / N;
  const sign = after.rssMiB >= base.rssMiB ? '+' : '';
  console.log(
    `  cycle ${cycle}: closed; fds back to ${after.fds} in ${fdsBackSec.toFixed(1)} s; after settling RSS ${f1(after.rssMiB)} MiB (${sign}${f1(after.rssMiB - base.rssMiB)}; ${perProcessRss(pid)}), ${await heap.text()}; ~${f1(perConnKiB)} KiB RSS per held connection`,
  );
  return { cycle, failedOpen, stillOpen, openSec, peak, after, liveHeap, fdsBackSec, perConnKiB };
}

function holdChecks(
  cfg: SoakConfig,
  base: TreeFigures,
  baseHeap: number,
  cycles: readonly Cycle[],
): Check[] {
  const N = cfg.conns;
  const first = cycles[0] as Cycle;
  const last = cycles[cycles.length - 1] as Cycle;
  const rssMargin = Math.max(64, 0.25 * (first.peak.rssMiB - base.rssMiB));
  const checks: Check[] = [
    {
      ok: cycles.every((c) => c.failedOpen === 0),
      what: `all ${N} connections opened and echoed, every cycle (${cycles.map((c) => c.failedOpen).join(', ')} failed)`,
    },
    {
      ok: cycles.every((c) => c.stillOpen === N),
      what: `all stayed open for ${cfg.holdSeconds}s (${cycles.map((c) => c.stillOpen).join(', ')})`,
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
  return checks;
}

export async function phaseHold(cfg: SoakConfig, logDir: string): Promise<PhaseResult> {
  console.log(
    `\n== hold: ${cfg.conns} concurrent connections through the proxy (${cfg.workers} worker(s)), held ${cfg.holdSeconds}s`,
  );
  const echo = await startEcho(logDir);
  const port = await freePort();
  const metricsPort = await freePort();
  const heap = heapReader(metricsPort);
  const proxy = await startChild(
    'proxy-hold',
    'proxy',
    [
      ...['--host', '127.0.0.1', '--port', String(port), '-u', `127.0.0.1:${echo.port}`],
      ...['--max-conns', '0', '--idle-timeout', '0', '--health-interval', '0'],
      ...['--workers', String(cfg.workers), '--log-level', 'warn'],
      ...['--metrics-port', String(metricsPort)],
    ],
    logDir,
  );
  try {
    await listening(proxy, port);
    await listening(proxy, metricsPort);
    // A few connections to warm the code paths, then settle.
    await shortConns(port, 200, 20);
    await sleep(1500);
    await fullGc(proxy.app.pid, proxy.logDir);
    const baseHeap = await heap.mib();
    const base = await treeFigures(proxy.app.pid);
    console.log(
      `  start: ${base.procs} process(es), RSS ${f1(base.rssMiB)} MiB (${perProcessRss(proxy.app.pid)}), fds ${base.fds}, ${await heap.text()}`,
    );
    const cycles: Cycle[] = [];
    for (let cycle = 1; cycle <= cfg.holdCycles; cycle++)
      cycles.push(await holdCycle(cfg, port, proxy, base, cycle, heap));
    const figures = { conns: cfg.conns, workers: cfg.workers, base, baseHeap, cycles };
    return verdict('hold', holdChecks(cfg, base, baseHeap, cycles), figures);
  } finally {
    await proxy.app.stop(8000);
    echo.child.app.signal('SIGKILL');
  }
}
