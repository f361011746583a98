/**
 * Phase rate: the client in open-loop rate mode at F (80 %) of the capacity measured just
 * before, for W consecutive windows: zero errors, the rate kept, p99 stable across windows.
 * ONE client run covers every window: its per-interval series (`--interval` = the window,
 * `--out`) gives each window's counts and percentiles, so no window starts cold and no
 * connection set-up falls between windows (issue 16).
 */
import { readFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { type ClientRun, freePort, makePhotoFolder, runClient } from '@tcpbalancer/test-kit';
import type { SoakConfig } from './config.js';
import {
  type Check,
  f1,
  listening,
  type PhaseResult,
  type SoakChild,
  startChild,
  treeFigures,
  verdict,
} from './support.js';

interface Window {
  readonly w: number;
  readonly load: number;
  readonly code: number | string;
  readonly requests: number;
  readonly ok: number;
  readonly failed: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly proxyRss: number;
  readonly backRss: number;
}

/** The columns of the client's `--out` series that a window needs (see the client README). */
interface RunSeries {
  readonly intervalMs: number;
  readonly series: {
    readonly dur: number[];
    readonly completed: number[];
    readonly ok: number[];
    readonly failed: number[];
    readonly p50: number[];
    readonly p99: number[];
    readonly max: number[];
  };
}

/** Machine figures sampled at the end of each window while the run goes on. */
interface Sample {
  readonly load: number;
  readonly proxyRss: number;
  readonly backRss: number;
}

/**
 * The windows of one run: every full interval of its series. The last interval is partial (the
 * run's tail after the last full window): it is left out unless it covers at least half a window.
 */
function windowsOf(run: RunSeries, code: number | string, samples: readonly Sample[]): Window[] {
  const s = run.series;
  const windowSeconds = run.intervalMs / 1000;
  const out: Window[] = [];
  for (let i = 0; i < s.dur.length; i++) {
    const dur = s.dur[i] ?? 0;
    if (dur < windowSeconds / 2) continue;
    const sample = samples[Math.min(i, samples.length - 1)] ?? { load: 0, proxyRss: 0, backRss: 0 };
    out.push({
      w: out.length + 1,
      load: sample.load,
      code,
      requests: s.completed[i] ?? 0,
      ok: s.ok[i] ?? 0,
      failed: s.failed[i] ?? Number.NaN,
      rps: (s.completed[i] ?? 0) / dur,
      p50: s.p50[i] ?? Number.NaN,
      p99: s.p99[i] ?? Number.NaN,
      max: s.max[i] ?? Number.NaN,
      proxyRss: sample.proxyRss,
      backRss: sample.backRss,
    });
  }
  return out;
}

function windowRow(x: Window): string {
  return [
    String(x.w).padStart(6),
    String(x.requests).padStart(8),
    String(x.ok).padStart(6),
    String(x.failed).padStart(6),
    f1(x.rps).padStart(6),
    f1(x.p50).padStart(6),
    f1(x.p99).padStart(6),
    f1(x.max).padStart(6),
    f1(x.proxyRss).padStart(9),
    f1(x.backRss).padStart(12),
    x.load.toFixed(1).padStart(8),
  ].join('  ');
}

function rateChecks(cfg: SoakConfig, rate: number, windows: readonly Window[]): Check[] {
  const p99s = windows.map((w) => w.p99).sort((a, b) => a - b);
  const median = p99s[Math.floor(p99s.length / 2)] ?? Number.NaN;
  const worst = p99s[p99s.length - 1] ?? Number.NaN;
  const third = Math.max(1, Math.floor(windows.length / 3));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(windows.slice(0, third).map((w) => w.p99));
  const last = mean(windows.slice(-third).map((w) => w.p99));
  const errors = windows.reduce((s, w) => s + (Number.isFinite(w.failed) ? w.failed : 1), 0);
  const expected = rate * cfg.windowSeconds;
  const minDone = Math.min(...windows.map((w) => w.ok));
  return [
    {
      ok: errors === 0 && windows.every((w) => w.code === 0),
      what: `zero errors, every window exit 0 (${errors} failed)`,
    },
    {
      ok: minDone >= expected * 0.95,
      what: `each window kept the rate: min ok ${minDone} ≥ 95 % of ${Math.round(expected)}`,
    },
    {
      ok: worst <= Math.max(2 * median, median + 20),
      what: `worst window p99 ≤ max(2 × median, median + 20 ms): ${f1(worst)} vs median ${f1(median)}`,
    },
    {
      ok: last <= 1.5 * first + 5,
      what: `no upward drift: mean p99 of the last third ≤ 1.5 × first third + 5 ms: ${f1(first)} → ${f1(last)}`,
    },
  ];
}

async function startSystem(
  logDir: string,
): Promise<{ backends: SoakChild[]; proxy: SoakChild; port: number }> {
  const bports = [await freePort(), await freePort(), await freePort()];
  const backends = await Promise.all(
    bports.map((p, i) =>
      startChild(
        `backend-${i + 1}`,
        'backend',
        ['--host', '127.0.0.1', '--port', String(p), '--name', `b${i + 1}`, '--log-level', 'warn'],
        logDir,
      ),
    ),
  );
  const port = await freePort();
  const proxy = await startChild(
    'proxy-rate',
    'proxy',
    [
      ...['--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn'],
      ...bports.flatMap((p) => ['-u', `127.0.0.1:${p}`]),
    ],
    logDir,
  );
  await Promise.all(backends.map((b, i) => listening(b, bports[i] as number)));
  await listening(proxy, port);
  return { backends, proxy, port };
}

export async function phaseRate(
  cfg: SoakConfig,
  logDir: string,
  work: string,
): Promise<PhaseResult> {
  console.log(
    `\n== rate: capacity, then ${cfg.rateWindows} × ${cfg.windowSeconds}s at ${Math.round(cfg.rateFraction * 100)} % of it`,
  );
  const input = join(work, 'corpus');
  await makePhotoFolder(input);
  const { backends, proxy, port } = await startSystem(logDir);
  const base = ['--proxy', `127.0.0.1:${port}`, '--input', input, '--width', '320'];
  base.push('--height', '240', '--json', '--log-level', 'warn');
  try {
    await runClient([...base, '--duration', '3s', '--conns', '3'], { timeoutMs: 60_000 }); // warm-up
    const cap = await runClient(
      [...base, '--duration', `${cfg.capacitySeconds}s`, '--conns', '6', '--window', '2'],
      { timeoutMs: (cfg.capacitySeconds + 60) * 1000 },
    );
    if (!cap.summary)
      throw new Error(
        `capacity run printed no summary (exit ${cap.code}): ${cap.stderr.slice(-500)}`,
      );
    const capacity = cap.summary.rps;
    const rate = Math.max(1, Math.round(capacity * cfg.rateFraction * 10) / 10);
    console.log(
      `  capacity (closed loop, 6×2 in flight): ${f1(capacity)} images/s, p99 ${f1(cap.summary.latencyMs.p99)} ms → rate ${rate}/s`,
    );
    console.log(
      '  window  requests  ok      failed  rps     p50 ms  p99 ms  max ms  proxy RSS  backends RSS  load',
    );
    const outFile = join(work, 'rate-run.json');
    const samples: Sample[] = [];
    const sampleOnce = async () => {
      const proxyRss = (await treeFigures(proxy.app.pid)).rssMiB;
      let backRss = 0;
      for (const b of backends) backRss += (await treeFigures(b.app.pid)).rssMiB;
      samples.push({ load: loadavg()[0] ?? 0, proxyRss, backRss });
    };
    const sampler = setInterval(() => void sampleOnce(), cfg.windowSeconds * 1000);
    const seconds = cfg.rateWindows * cfg.windowSeconds;
    let r: ClientRun;
    try {
      r = await runClient(
        [...base, '--rate', String(rate), '--duration', `${seconds}s`].concat(
          ['--conns', '6', '--window', '8', '--timeout', '30s'],
          ['--interval', `${cfg.windowSeconds}s`, '--out', outFile],
        ),
        { timeoutMs: (seconds + 90) * 1000 },
      );
    } finally {
      clearInterval(sampler);
    }
    if (samples.length === 0) await sampleOnce();
    if (!r.summary) console.log(`    (no summary, exit ${r.code}): ${r.stderr.slice(-300)}`);
    const run = JSON.parse(await readFile(outFile, 'utf8')) as RunSeries;
    const windows = windowsOf(run, r.code, samples);
    for (const row of windows) console.log(`  ${windowRow(row)}`);
    const cores = availableParallelism();
    const busy = windows.filter((w) => w.load > cores * 1.5).length;
    if (busy > 0) {
      console.log(
        `  note: in ${busy} window(s) the machine's load average exceeded 1.5 × its ${cores} cores: other work competed for the CPU, so latency figures there say more about the machine than about the system`,
      );
    }
    return verdict('rate', rateChecks(cfg, rate, windows), { capacity, rate, windows });
  } finally {
    await proxy.app.stop(8000);
    await Promise.all(backends.map((b) => b.app.stop(8000)));
  }
}
