/**
 * End-to-end images/s: the real client in load mode (--duration) against
 *   A. the proxy in front of 3 backends,
 *   B. one backend directly, with the same total concurrency (conns × window),
 *   C. the 3 backends directly (3 client processes, a third of the connections each).
 * Prints A/B (what the balancer buys) and A/C (what the proxy hop costs); with
 * BENCH_RESULTS_DIR set, writes $BENCH_RESULTS_DIR/system.json in the shared bench format.
 * Scale with BENCH_SECONDS (default 8 per scenario) and BENCH_ROUNDS (default 2, interleaved). Run: npm run bench -w @tcpbalancer/tests-system
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type BenchRow,
  type ClientSummary,
  killAll,
  makePhotoFolder,
  type RunningApp,
  runClient,
  startBackend,
  startProxy,
  writeBenchResults,
} from '@tcpbalancer/test-kit';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNS = Number(process.env.BENCH_CONNS ?? 6);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);

/** A row of `$BENCH_RESULTS_DIR/system.json`, with numbers for the printed table. */
interface Row extends BenchRow {
  readonly ours: number;
  readonly baseline: number;
  readonly ratio: number;
}

async function load(port: number, input: string, conns: number): Promise<ClientSummary> {
  const r = await runClient(
    [
      '--proxy',
      `127.0.0.1:${port}`,
      '--input',
      input,
      '--width',
      '320',
      '--height',
      '240',
      '--duration',
      `${SECONDS}s`,
      '--conns',
      String(conns),
      '--window',
      String(WINDOW),
      '--json',
      '--log-level',
      'warn',
    ],
    { timeoutMs: (SECONDS + 60) * 1000 },
  );
  if (!r.summary)
    throw new Error(`client printed no summary (exit ${r.code}): ${r.stderr.slice(-1000)}`);
  if (r.summary.failed > 0)
    throw new Error(
      `client: ${r.summary.failed} failed requests: ${JSON.stringify(r.summary.errors)}`,
    );
  return r.summary;
}

async function main(): Promise<void> {
  const work = await mkdtemp(path.join(tmpdir(), 'tcpb-bench-e2e-'));
  const input = path.join(work, 'in');
  // A small mixed set, like a photo folder.
  await makePhotoFolder(input, 500);
  let backends: RunningApp[] = [];
  try {
    backends = await Promise.all([1, 2, 3].map((i) => startBackend({ name: `b${i}` })));
    const ports = backends.map((b) => b.port);
    const proxy = await startProxy({ upstreams: ports, extra: ['--health-interval', '1000'] });
    // Warm every backend (sharp's first use) before measuring.
    await load(proxy.port, input, 3).catch(() => undefined);

    // Interleaved rounds (A B C, A B C…) so that drift on a shared machine hits all three alike;
    // each figure is the mean over the rounds.
    const perBackend = Math.max(1, Math.round(CONNS / 3));
    const a: ClientSummary[] = [];
    const b: ClientSummary[] = [];
    const c: { rps: number; p99: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      a.push(await load(proxy.port, input, CONNS));
      b.push(await load(ports[0] as number, input, CONNS));
      const three = await Promise.all(ports.map((p) => load(p, input, perBackend)));
      c.push({
        rps: three.reduce((sum, x) => sum + x.rps, 0),
        p99: Math.max(...three.map((x) => x.latencyMs.p99)),
      });
    }
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    const viaProxy = { rps: mean(a.map((x) => x.rps)), p99: mean(a.map((x) => x.latencyMs.p99)) };
    const oneDirect = { rps: mean(b.map((x) => x.rps)) };
    const threeRps = mean(c.map((x) => x.rps));
    const threeP99 = mean(c.map((x) => x.p99));
    const seen = a[a.length - 1]?.backends ?? {};

    const rows: Row[] = [
      {
        scenario: `e2e: proxy + 3 backends vs 1 backend direct (${CONNS}×${WINDOW} in flight)`,
        unit: 'images/s',
        ours: viaProxy.rps,
        baseline: oneDirect.rps,
        ratio: viaProxy.rps / oneDirect.rps,
        target: '≥ 1.0× (2 cores: CPU-bound, no scale-out expected)',
      },
      {
        scenario: `e2e: proxy + 3 backends vs 3 backends direct (${CONNS}×${WINDOW} in flight)`,
        unit: 'images/s',
        ours: viaProxy.rps,
        baseline: threeRps,
        ratio: viaProxy.rps / threeRps,
        target: '≥ 0.9×',
      },
      {
        scenario: 'e2e p99 latency: proxy + 3 backends vs 3 backends direct',
        unit: 'ms (lower is better; ratio = baseline/ours)',
        ours: viaProxy.p99,
        baseline: threeP99,
        ratio: threeP99 / viaProxy.p99,
        target: '≥ 0.8×',
      },
    ];
    console.log(
      `@tcpbalancer/tests-system e2e (node ${process.version}, ${SECONDS}s per scenario, 320×240 out)`,
    );
    console.table(
      rows.map((r) => ({
        scenario: r.scenario,
        unit: r.unit,
        ours: r.ours.toFixed(1),
        baseline: r.baseline.toFixed(1),
        ratio: `${r.ratio.toFixed(2)}×`,
        target: r.target,
      })),
    );
    console.log(`backends seen through the proxy (last round): ${JSON.stringify(seen)}`);
    await writeBenchResults('system', '@tcpbalancer/tests-system', rows);
  } finally {
    await killAll();
    await rm(work, { recursive: true, force: true });
  }
}

await main();
