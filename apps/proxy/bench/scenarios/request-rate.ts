/** Keep-alive request/response: `conns` connections, each sending `size` bytes and awaiting them back, in a loop. */
import { connect, type Socket } from 'node:net';
import { MeasuredWindow } from './measured-window.js';

export interface RequestRateResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
}

export async function requestRate(
  port: number,
  opts: { conns: number; size: number; durationMs: number; warmupMs: number },
): Promise<RequestRateResult> {
  const payload = Buffer.alloc(opts.size, 0x61);
  const measured = new MeasuredWindow();
  let requests = 0;
  const latencies: number[] = [];
  const sockets: Socket[] = [];
  const loops = Array.from({ length: opts.conns }, async () => {
    const s = connect({ port, host: '127.0.0.1', noDelay: true });
    sockets.push(s);
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    s.write('E');
    let pending = 0;
    let started = 0;
    let resolveRound: (() => void) | undefined;
    s.on('data', (c: Buffer) => {
      pending -= c.length;
      if (pending <= 0) resolveRound?.();
    });
    s.on('error', () => {});
    s.on('close', () => {
      measured.stopped = true;
      resolveRound?.();
    });
    while (!measured.stopped) {
      pending = opts.size;
      started = performance.now();
      await new Promise<void>((resolve) => {
        resolveRound = resolve;
        s.write(payload);
      });
      if (measured.counting) {
        requests++;
        if ((requests & 7) === 0) latencies.push(performance.now() - started);
      }
    }
  });
  const { counted, seconds } = await measured.run(opts, () => requests);
  for (const s of sockets) s.destroy();
  await Promise.allSettled(loops);
  latencies.sort((a, b) => a - b);
  const q = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { requests: counted, seconds, rps: counted / seconds, p50Ms: q(0.5), p99Ms: q(0.99) };
}
