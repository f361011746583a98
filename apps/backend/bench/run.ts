/**
 * The same corpus resized (a) by sharp in this process at the same concurrency, and (b) through
 * the real backend bin over loopback with a few pipelined connections. Prints both in images/s
 * and their ratio (target ≥ 0.9: framing and networking cost < 10 %). Rounds alternate a and b
 * so that a noisy machine hurts both alike.
 *
 * Env: BENCH_CONCURRENCY (default: cores), BENCH_CONNS (4), BENCH_WINDOW (requests in flight per
 * connection, 4), BENCH_PASSES (corpus passes per measurement, 2), BENCH_ROUNDS (3),
 * BENCH_SCALE (corpus size multiplier, 1), BENCH_WIDTH/BENCH_HEIGHT (800×600, fit inside).
 * BENCH_CPU_PROF=<dir>: run the backend with --cpu-prof into <dir> (profile its main thread).
 * BENCH_RESULTS_DIR: also write `backend.json` there (the repo's benchmark convention).
 * BENCH_BIN: the backend build to measure (default ../dist/main.js), e.g. an older commit's for before/after.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  type BenchRow,
  DEFAULT_PHOTO_SPEC as DEFAULT_SPEC,
  loadPhotoCorpus,
  type RunningApp,
  startApp,
  writeBenchResults,
} from '@tcpbalancer/test-kit';
import { configureSharp } from '../src/resize.js';
import { type BenchImage, resizeInProcess, resizeThroughBackend } from './drive.js';

const env = (name: string, dflt: number) => {
  const v = process.env[name];
  return v === undefined || v === '' ? dflt : Number(v);
};
const CONCURRENCY = env('BENCH_CONCURRENCY', availableParallelism());
const CONNS = env('BENCH_CONNS', 4);
const WINDOW = env('BENCH_WINDOW', 4);
const PASSES = env('BENCH_PASSES', 2);
const ROUNDS = env('BENCH_ROUNDS', 3);
const SCALE = env('BENCH_SCALE', 1);
const WIDTH = env('BENCH_WIDTH', 800);
const HEIGHT = env('BENCH_HEIGHT', 600);

const corpusDir = fileURLToPath(new URL('../.bench-corpus/', import.meta.url));
/** BENCH_BIN: another build of the backend (an older commit's dist/main.js, for before/after). */
const bin = process.env.BENCH_BIN || fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** The backend under test through the kit: waits for `listening`, killed whatever ends this process. */
function startBackend(): Promise<RunningApp> {
  return startApp(
    { name: 'backend', main: bin },
    [
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--name',
      'bench',
      '--concurrency',
      String(CONCURRENCY),
      '--max-inflight',
      String(Math.max(WINDOW, 1)),
    ],
    {
      nodeArgs: process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF]
        : [],
    },
  );
}

const BOX = { width: WIDTH, height: HEIGHT };
/** (a) sharp in-process: the same pipeline as the backend, CONCURRENCY images in flight. */
const inProcess = (images: readonly BenchImage[], total: number) =>
  resizeInProcess(images, total, { concurrency: CONCURRENCY, box: BOX });
/** (b) through the backend: CONNS connections, WINDOW requests in flight on each. */
const throughBackend = (port: number, images: readonly BenchImage[], total: number) =>
  resizeThroughBackend(port, images, total, { conns: CONNS, window: WINDOW, box: BOX });

async function main() {
  configureSharp(); // the backend's own sharp settings, for a like-for-like baseline
  const spec = {
    ...DEFAULT_SPEC,
    jpeg1080: DEFAULT_SPEC.jpeg1080 * SCALE,
    jpeg12mp: DEFAULT_SPEC.jpeg12mp * SCALE,
    pngAlpha: DEFAULT_SPEC.pngAlpha * SCALE,
    webp: DEFAULT_SPEC.webp * SCALE,
  };
  const images = await loadPhotoCorpus(corpusDir, spec, console.log);
  const total = images.length * PASSES;
  const mb = images.reduce((s, i) => s + i.data.length, 0) / 1e6;
  console.log(
    `corpus: ${images.length} images, ${mb.toFixed(1)} MB (1920×1080 and 4000×3000 JPEGs, PNGs with alpha, WebPs) → ${WIDTH}×${HEIGHT} inside, same format`,
  );
  console.log(
    `concurrency ${CONCURRENCY}, ${CONNS} connections × ${WINDOW} in flight, ${PASSES} passes per run, ${ROUNDS} rounds\n`,
  );
  const backend = await startBackend();
  const { port } = backend;
  try {
    // Warm-up both paths (JIT, libvips init, page cache) without measuring.
    await inProcess(images, images.length);
    await throughBackend(port, images, images.length);
    const rows: Array<Record<string, string>> = [];
    let sumA = 0;
    let sumB = 0;
    for (let r = 1; r <= ROUNDS; r++) {
      const a = await inProcess(images, total);
      const b = await throughBackend(port, images, total);
      sumA += a;
      sumB += b;
      console.log(
        `round ${r}: in-process ${(total / a).toFixed(1)} images/s, backend ${(total / b).toFixed(1)} images/s, ratio ${(a / b).toFixed(3)}`,
      );
      rows.push({
        round: String(r),
        'in-process images/s': (total / a).toFixed(1),
        'backend images/s': (total / b).toFixed(1),
        ratio: (a / b).toFixed(3),
      });
    }
    const n = total * ROUNDS;
    rows.push({
      round: 'all',
      'in-process images/s': (n / sumA).toFixed(1),
      'backend images/s': (n / sumB).toFixed(1),
      ratio: (sumA / sumB).toFixed(3),
    });
    console.table(rows);
    const ratio = sumA / sumB;
    await writeResults({
      scenario: `corpus ${images.length} images (${mb.toFixed(1)} MB) → ${WIDTH}×${HEIGHT} inside: backend over loopback (${CONNS} conns × ${WINDOW} in flight) vs sharp in-process, concurrency ${CONCURRENCY}`,
      unit: 'images/s',
      ours: round(n / sumB),
      baseline: round(n / sumA),
      ratio: round(ratio, 3),
      target: '≥ 0.9×',
    });
    console.log(
      `\nbackend / in-process = ${ratio.toFixed(3)} (target ≥ 0.9): ${ratio >= 0.9 ? 'OK' : 'BELOW TARGET'}`,
    );
  } finally {
    await backend.stop();
  }
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** BENCH_RESULTS_DIR set: `$BENCH_RESULTS_DIR/backend.json`, one row per scenario. */
async function writeResults(...rows: BenchRow[]): Promise<void> {
  const file = await writeBenchResults('backend', '@tcpbalancer/backend', rows);
  if (file) console.log(`results written to ${file}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
