/**
 * Where the CPU goes when images go through the backend: sharp's threads vs the backend's main
 * thread (sockets, decoding, bookkeeping) vs the client. Less sensitive to a noisy machine than
 * a throughput ratio. `node --import tsx bench/cpu-accounting.ts` (BENCH_IMAGES, default 30).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { encodeFrame, FrameDecoder, FrameType } from '@tcpbalancer/protocol';
import { loadPhotoCorpus } from '@tcpbalancer/test-kit';
import sharp from 'sharp';
import { configureSharp } from '../src/resize.js';

const N = Number(process.env.BENCH_IMAGES ?? 30);
const images = await loadPhotoCorpus(
  fileURLToPath(new URL('../.bench-corpus/', import.meta.url)),
  undefined,
  console.log,
);
/** BENCH_BIN: another build of the backend (an older commit's dist/main.js, for before/after). */
const bin = process.env.BENCH_BIN || fileURLToPath(new URL('../dist/main.js', import.meta.url));
const child = spawn(
  process.execPath,
  [bin, '--port', '0', '--host', '127.0.0.1', '--concurrency', '2', '--max-inflight', '4'],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
process.once('exit', () => child.kill('SIGKILL'));
const port = await new Promise<number>((resolve) =>
  child.stdout!.on('data', (d) => {
    const m = /"port":(\d+)/.exec(String(d));
    if (m) resolve(Number(m[1]));
  }),
);
/** utime + stime of a process or thread, ms (100 Hz ticks). */
const cpuMs = (path: string) => {
  const f = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
async function run(total: number) {
  let next = 0;
  await Promise.all(
    [0, 1, 2, 3].map(async () => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true });
      await once(s, 'connect');
      const d = new FrameDecoder();
      let inflight = 0;
      let id = 0;
      await new Promise<void>((resolve) => {
        const send = () => {
          while (inflight < 4 && next < total) {
            const img = images[next++ % images.length]!;
            inflight++;
            s.cork();
            for (const p of encodeFrame({
              type: FrameType.Request,
              requestId: ++id,
              header: { width: 800, height: 600, fit: 'inside' },
              payload: img.data,
            })) {
              s.write(p);
            }
            s.uncork();
          }
          if (inflight === 0 && next >= total) resolve();
        };
        s.on('data', (c) => {
          for (const f of d.push(c)) if (f.type === FrameType.Response) inflight--;
          send();
        });
        send();
      });
      s.end();
    }),
  );
}
// In-process baseline: the main-thread CPU that sharp's own JS side costs per image.
configureSharp();
async function inProcess(total: number) {
  let next = 0;
  await Promise.all(
    [0, 1].map(async () => {
      while (next < total) {
        const img = images[next++ % images.length]!;
        await sharp(img.data, { failOn: 'warning', limitInputPixels: 40_000_000 }).metadata();
        await sharp(img.data, {
          failOn: 'warning',
          limitInputPixels: 40_000_000,
          sequentialRead: true,
        })
          .rotate()
          .resize({ width: 800, height: 600, fit: 'inside' })
          .toBuffer();
      }
    }),
  );
}
await inProcess(images.length);
const self0 = cpuMs(`/proc/${process.pid}/task/${process.pid}/stat`);
await inProcess(N);
const inProcessMain = cpuMs(`/proc/${process.pid}/task/${process.pid}/stat`) - self0;

await run(images.length); // warm-up
const c0 = process.cpuUsage();
const b0 = cpuMs(`/proc/${child.pid}/stat`);
const m0 = cpuMs(`/proc/${child.pid}/task/${child.pid}/stat`);
await run(N);
const c1 = process.cpuUsage(c0);
const backend = cpuMs(`/proc/${child.pid}/stat`) - b0;
const main = cpuMs(`/proc/${child.pid}/task/${child.pid}/stat`) - m0;
const client = (c1.user + c1.system) / 1000;
const resize = backend - main;
console.log(`in-process: main thread ${(inProcessMain / N).toFixed(1)} ms/image (sharp's JS side)`);
console.log(
  `${N} images: resize threads ${(resize / N).toFixed(1)} ms/image, backend main thread ${(main / N).toFixed(1)} ms/image, client ${(client / N).toFixed(1)} ms/image → overhead ${(((main + client) / resize) * 100).toFixed(0)} % of the resize CPU`,
);
child.kill('SIGTERM');
await once(child, 'exit');
process.exit(0);
