/**
 * Phase short: M short connections through the proxy, C at a time, each one connect → 16 bytes
 * → echo → close. Live heap, open fds, active handles and timers (from the proxy's /metrics,
 * the heap after a forced full GC) must not grow.
 */
import { freePort, sleep } from '@tcpbalancer/test-kit';
import type { SoakConfig } from './config.js';
import {
  f1,
  fullGc,
  listening,
  metrics,
  type PhaseResult,
  type ProxyFigures,
  shortConns,
  startChild,
  startEcho,
  verdict,
} from './support.js';

type Checkpoint = ProxyFigures & { readonly n: number; readonly sec: number };

function row(label: string, c: ProxyFigures & { sec?: number }): string {
  const cells = [
    label.padStart(16),
    (c.sec === undefined ? '' : c.sec.toFixed(0)).padStart(5),
    f1(c.heapUsedMiB).padStart(9),
    String(c.fds).padStart(5),
    String(c.handles).padStart(7),
    String(c.timers).padStart(7),
    f1(c.rssMiB).padStart(8),
  ];
  return `  ${cells.join(' ')}`;
}

export async function phaseShort(cfg: SoakConfig, logDir: string): Promise<PhaseResult> {
  const M = cfg.short;
  console.log(
    `\n== short: ${M} short connections through the proxy, ${cfg.shortConcurrency} at a time`,
  );
  const echo = await startEcho(logDir);
  const port = await freePort();
  const mport = await freePort();
  const proxy = await startChild(
    'proxy-short',
    'proxy',
    [
      ...['--host', '127.0.0.1', '--port', String(port), '-u', `127.0.0.1:${echo.port}`],
      ...['--metrics-port', String(mport), '--max-conns', '0', '--idle-timeout', '30000'],
      ...['--health-interval', '1000', '--log-level', 'warn'],
    ],
    logDir,
  );
  try {
    await listening(proxy, port);
    await listening(proxy, mport);
    // Warm up (code compiled, pools sized), then a full GC: the live-heap baseline.
    await shortConns(port, 2000, cfg.shortConcurrency);
    await sleep(1000);
    await fullGc(proxy.app.pid, logDir);
    const base = await metrics(mport);
    const checkpoints: Checkpoint[] = [];
    const step = Math.max(1, Math.floor(M / 10));
    let nextMark = step;
    const t0 = performance.now();
    const failed = await shortConns(port, M, cfg.shortConcurrency, async (n) => {
      if (n < nextMark) return;
      nextMark += step;
      checkpoints.push({ n, sec: (performance.now() - t0) / 1000, ...(await metrics(mport)) });
    });
    const sec = (performance.now() - t0) / 1000;
    // After the last close: settle, then a full GC so that the heap figure is the live heap.
    await sleep(2000);
    const settled = await metrics(mport);
    await fullGc(proxy.app.pid, logDir);
    const end = await metrics(mport);
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
    await proxy.app.stop(8000);
    echo.child.app.signal('SIGKILL');
  }
}
