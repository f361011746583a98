import { once } from 'node:events';
import net from 'node:net';
import { ErrorCode, FrameType } from '@tcpbalancer/protocol';
import { describe, expect, it } from 'vitest';
import { FramePeer, noise, scrape, startBackend, startMeteredBackend } from './helpers.js';

async function waitLog(b: { logs: Array<Record<string, unknown>> }, msg: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!b.logs.some((l) => l.msg === msg)) {
    if (Date.now() > deadline) throw new Error(`no log line "${msg}"`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('graceful shutdown', () => {
  it('SIGTERM: stops accepting, answers every request in flight, sheds new ones, exits 0', async () => {
    const b = await startMeteredBackend(['--concurrency', '1', '--shutdown-timeout', '20000']);
    const img = await noise(800, 600).jpeg().toBuffer();
    const c = await FramePeer.connect(b.port);
    const c2 = await FramePeer.connect(b.port);
    const ids = [1, 2, 3, 4].map((i) => c.send({ width: 700, format: 'webp' }, img, i));
    c2.send({ width: 600, format: 'webp' }, img, 50);
    // Signal once the backend has read all five (answered or in flight), not before.
    for (;;) {
      const metric = await scrape(b);
      const seen = metric('tcpb_backend_requests_total') + metric('tcpb_backend_inflight_requests');
      if (seen >= 5) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    b.signal('SIGTERM');
    await waitLog(b, 'shutting down: draining');
    // A request that arrives while draining is shed with a code the client can retry on.
    c.send({ width: 10 }, img, 99);
    // No new connections.
    const refused = net.connect(b.port, '127.0.0.1');
    const refusedOutcome = await Promise.race([
      once(refused, 'error').then(() => 'error'),
      once(refused, 'close').then(() => 'closed'),
    ]);
    expect(['error', 'closed']).toContain(refusedOutcome);
    refused.destroy();

    expect(await b.exited).toBe(0);
    await c.waitClosed(2000);
    for (const id of ids) {
      const f = c.frames.find((x) => x.requestId === id);
      expect(f?.type, `answer to ${id}`).toBe(FrameType.Response);
    }
    expect(c.frames.find((x) => x.requestId === 99)?.header.code).toBe(ErrorCode.ShuttingDown);
    expect(c2.frames.find((x) => x.requestId === 50)?.type).toBe(FrameType.Response);
    expect(b.logs.some((l) => l.msg === 'closed')).toBe(true);
  });

  it('SIGTERM exits 0 even when the reader of its stdout has gone', async () => {
    const b = await startBackend([]);
    b.proc.stdout!.destroy();
    await new Promise((r) => setTimeout(r, 100));
    b.signal('SIGTERM');
    expect(await b.exited).toBe(0);
  });

  it('the deadline bounds the wait: what is still running is cut, exit 0 all the same', async () => {
    const b = await startBackend(['--concurrency', '1', '--shutdown-timeout', '300']);
    const img = await noise(1200, 900).jpeg().toBuffer();
    const c = await FramePeer.connect(b.port);
    for (let i = 1; i <= 8; i++) c.send({ width: 1100, format: 'webp' }, img, i);
    await new Promise((r) => setTimeout(r, 150));
    const t0 = performance.now();
    b.signal('SIGTERM');
    expect(await b.exited).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5000);
    await c.waitClosed(2000);
    expect(c.frames.length).toBeLessThan(8);
  });
});
