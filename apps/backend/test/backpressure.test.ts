import { encodeFrameToBuffer, FrameType, pingFrame } from '@tcpbalancer/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FramePeer,
  noise,
  type Spawned,
  scrape,
  scrapeUntil,
  startMeteredBackend,
} from './helpers.js';

let backend: Spawned;
beforeAll(async () => {
  backend = await startMeteredBackend(['--max-inflight', '2', '--concurrency', '1']);
});

describe('--max-inflight', () => {
  it('stops reading the socket beyond it (backpressure, not buffering), then answers everything', async () => {
    const img = await noise(1000, 750).jpeg({ quality: 92 }).toBuffer();
    const n = 20;
    const total = n * img.length;
    expect(total).toBeGreaterThan(10 * 1024 * 1024); // well past the loopback socket buffers
    const c = await FramePeer.connect(backend.port);
    for (let i = 1; i <= n; i++) c.send({ width: 500, format: 'jpeg' }, img, i);
    let maxInflight = 0;
    let minBacklog = Number.POSITIVE_INFINITY;
    let samples = 0;
    while (c.frames.length < n && samples < 400) {
      const metric = await scrape(backend);
      maxInflight = Math.max(maxInflight, metric('tcpb_backend_inflight_requests'));
      if (c.frames.length >= 2 && c.frames.length <= n / 2) {
        // Bytes written by us but not yet read by the backend: they wait in our buffers and the
        // kernel's, because the backend is not reading.
        const received = metric('tcpb_backend_bytes_received_total');
        minBacklog = Math.min(minBacklog, total - received);
      }
      samples++;
      await new Promise((r) => setTimeout(r, 30));
    }
    await c.until((fs) => fs.length === n, 60_000);
    expect(maxInflight).toBeLessThanOrEqual(2);
    expect(maxInflight).toBeGreaterThanOrEqual(1);
    expect(minBacklog).toBeGreaterThan(total / 3);
    expect(c.frames.every((f) => f.type === FrameType.Response)).toBe(true);
    expect(c.frames.map((f) => f.requestId).sort((a, b) => a - b)).toEqual(
      Array.from({ length: n }, (_, i) => i + 1),
    );
    c.destroy();
  });

  it('a peer that does not read its answers is closed by the idle timeout, not kept forever', async () => {
    const b = await startMeteredBackend(['--max-inflight', '2', '--idle-timeout', '800']);
    const img = await noise(300, 200).png().toBuffer();
    const c = await FramePeer.connect(b.port);
    c.socket.pause(); // never read
    // Large answers (PNG of noise, ~1 MB each) fill the socket buffers quickly.
    for (let i = 1; i <= 40; i++)
      c.send({ width: 600, height: 600, fit: 'fill', format: 'png' }, img, i);
    const metric = await scrapeUntil(b, (m) => m('tcpb_backend_connections') === 0, 15_000);
    expect(metric('tcpb_backend_connection_errors_total', 'ERR_IDLE_TIMEOUT')).toBe(1);
    expect(metric('tcpb_backend_requests_total')).toBeLessThan(40);
    c.destroy();
    b.signal('SIGKILL');
    await b.exited;
  });

  it('a flood of pings from a peer that does not read: pongs wait in bounded queues, the socket is not read, the idle timeout ends it', async () => {
    const b = await startMeteredBackend(['--idle-timeout', '1000']);
    const c = await FramePeer.connect(b.port);
    c.socket.pause(); // never read
    const ping = encodeFrameToBuffer(pingFrame(1));
    const n = 1_000_000; // 20 MB of pings: 20 MB of pongs, far more than the socket buffers
    c.socket.write(Buffer.concat(Array.from({ length: n }, () => ping)));
    const metric = await scrapeUntil(b, (m) => m('tcpb_backend_connections') === 0, 20_000);
    // The backend stopped reading once its pongs could not be written.
    expect(metric('tcpb_backend_bytes_received_total')).toBeLessThan(n * ping.length);
    expect(metric('tcpb_backend_connection_errors_total', 'ERR_IDLE_TIMEOUT')).toBe(1);
    expect(metric('tcpb_backend_process_resident_memory_bytes')).toBeLessThan(400 * 1024 * 1024);
    c.destroy();
    b.signal('SIGKILL');
    await b.exited;
  }, 40_000);
});
