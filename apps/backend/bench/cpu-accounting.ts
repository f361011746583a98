/**
 * Where the CPU goes when images go through the backend: sharp's threads vs the backend's main
 * thread (sockets, decoding, bookkeeping) vs the client. Less sensitive to a noisy machine than
 * a throughput ratio. `node --import tsx bench/cpu-accounting.ts` (BENCH_IMAGES, default 30).
 */
import { fileURLToPath } from 'node:url';
import {
  cpuSecondsSync,
  loadPhotoCorpus,
  mainThreadCpuSecondsSync,
  startApp,
} from '@tcpbalancer/test-kit';
import { configureSharp } from '../src/resize.js';
import { resizeInProcess, resizeThroughBackend } from './drive.js';

const N = Number(process.env.BENCH_IMAGES ?? 30);
const BOX = { width: 800, height: 600 };
const images = await loadPhotoCorpus(
  fileURLToPath(new URL('../.bench-corpus/', import.meta.url)),
  undefined,
  console.log,
);
/** BENCH_BIN: another build of the backend (an older commit's dist/main.js, for before/after). */
const bin = process.env.BENCH_BIN || fileURLToPath(new URL('../dist/main.js', import.meta.url));
const app = await startApp({ name: 'backend', main: bin }, [
  '--port',
  '0',
  '--host',
  '127.0.0.1',
  '--concurrency',
  '2',
  '--max-inflight',
  '4',
]);
const { pid: child, port } = app;
/** utime + stime of a process, and of its main thread alone, ms (100 Hz ticks). */
const cpuMs = (pid: number) => cpuSecondsSync(pid) * 1000;
const mainThreadCpuMs = (pid: number) => mainThreadCpuSecondsSync(pid) * 1000;
/** 4 connections × 4 requests in flight through the backend. */
const run = (total: number) =>
  resizeThroughBackend(port, images, total, { conns: 4, window: 4, box: BOX });
// In-process baseline: the main-thread CPU that sharp's own JS side costs per image.
configureSharp();
const inProcess = (total: number) => resizeInProcess(images, total, { concurrency: 2, box: BOX });
await inProcess(images.length);
const self0 = mainThreadCpuMs(process.pid);
await inProcess(N);
const inProcessMain = mainThreadCpuMs(process.pid) - self0;

await run(images.length); // warm-up
const c0 = process.cpuUsage();
const b0 = cpuMs(child);
const m0 = mainThreadCpuMs(child);
await run(N);
const c1 = process.cpuUsage(c0);
const backend = cpuMs(child) - b0;
const main = mainThreadCpuMs(child) - m0;
const client = (c1.user + c1.system) / 1000;
const resize = backend - main;
console.log(`in-process: main thread ${(inProcessMain / N).toFixed(1)} ms/image (sharp's JS side)`);
console.log(
  `${N} images: resize threads ${(resize / N).toFixed(1)} ms/image, backend main thread ${(main / N).toFixed(1)} ms/image, client ${(client / N).toFixed(1)} ms/image → overhead ${(((main + client) / resize) * 100).toFixed(0)} % of the resize CPU`,
);
await app.stop();
process.exit(0);
