/**
 * Peers that pipeline and never read, the process-wide buffered-bytes budget, and --max-conns:
 * the backend must neither work for answers nobody reads nor hold them, whatever the peers do.
 */
import { ErrorCode, encodeFrameToBuffer, FrameType, pingFrame } from '@tcpbalancer/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { FramePeer, noise, type Spawned, scrape, startMeteredBackend } from './helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1024 * 1024;
/** Noise re-encoded as a 1200×1200 PNG: a ~4 MB answer, more than the loopback buffers take. */
const BIG_ANSWER = { width: 1200, height: 1200, fit: 'fill', format: 'png' } as const;

let input: Buffer;
beforeAll(async () => {
  input = await noise(600, 600).jpeg({ quality: 90 }).toBuffer();
});

async function metrics(b: Spawned) {
  const metric = await scrape(b);
  return {
    resizes: metric('tcpb_backend_resize_duration_seconds_count'),
    running: metric('tcpb_backend_resizes_running'),
    buffered: metric('tcpb_backend_buffered_bytes'),
    rss: metric('tcpb_backend_process_resident_memory_bytes'),
    pauses: metric('tcpb_backend_budget_pauses_total'),
    received: metric('tcpb_backend_bytes_received_total'),
    connections: metric('tcpb_backend_connections'),
    busy: metric('tcpb_backend_connection_errors_total', ErrorCode.Busy),
  };
}

/** Polls until no resize runs and the count has not moved for `quietMs`; the last sample. */
async function untilNoMoreResizes(b: Spawned, quietMs: number, maxMs: number) {
  const t0 = performance.now();
  let last = await metrics(b);
  let since = performance.now();
  for (;;) {
    await sleep(200);
    const m = await metrics(b);
    if (m.resizes !== last.resizes) since = performance.now();
    last = m;
    if (m.running > 0) since = performance.now();
    if (performance.now() - since >= quietMs) return last;
    if (performance.now() - t0 > maxMs) throw new Error(`still resizing: ${JSON.stringify(m)}`);
  }
}

/** A peer that pipelines `n` requests with big answers and never reads. */
async function nonReader(port: number, n: number): Promise<FramePeer> {
  const c = await FramePeer.connect(port);
  c.socket.pause();
  for (let i = 1; i <= n; i++) c.send(BIG_ANSWER, input, i);
  return c;
}

describe('a peer that pipelines and never reads', () => {
  it('gets no more resizes once its socket is full; memory stays bounded; reading resumes it', async () => {
    const b = await startMeteredBackend(['--concurrency', '2']);
    const before = await metrics(b);
    const peers = [await nonReader(b.port, 10), await nonReader(b.port, 10)];
    const settled = await untilNoMoreResizes(b, 1500, 25_000);
    // Per peer: what the socket buffers took (2 answers here), the one being written, plus at
    // most one per resize slot. Without the backpressure it would be all 20.
    expect(settled.resizes).toBeLessThanOrEqual(12);
    // …and it stays so: no work for answers nobody reads.
    await sleep(1500);
    const later = await metrics(b);
    expect(later.resizes).toBe(settled.resizes);
    // Held: ≤ ~3 answers of ~3.6 MB and ≤ 10 inputs of ~0.25 MB per peer (20 answers: 72 MB).
    expect(later.buffered).toBeLessThan(32 * MiB);
    expect(later.rss - before.rss).toBeLessThan(200 * MiB);
    // A well-behaved client is served meanwhile.
    const good = await FramePeer.connect(b.port);
    const small = await noise(64, 64).png().toBuffer();
    const id = good.send({ width: 32, format: 'png' }, small);
    expect((await good.answer(id, 10_000)).type).toBe(FrameType.Response);
    good.destroy();
    // Backpressure, not loss: once the peer reads, every request is answered.
    peers[1]!.destroy();
    peers[0]!.socket.resume();
    const frames = await peers[0]!.until((fs) => fs.length === 10, 40_000);
    expect(frames.every((f) => f.type === FrameType.Response)).toBe(true);
    expect(frames.map((f) => f.requestId).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 10 }, (_, i) => i + 1),
    );
    peers[0]!.destroy();
    b.signal('SIGKILL');
    await b.exited;
  }, 90_000);
});

describe('--max-buffered-bytes', () => {
  it('over the budget no socket is read; once it drops, the others are served', async () => {
    const limit = 2 * MiB;
    const b = await startMeteredBackend([
      '--concurrency',
      '1',
      '--max-buffered-bytes',
      String(limit),
    ]);
    const hog = await nonReader(b.port, 16);
    await untilNoMoreResizes(b, 1000, 20_000);
    const held = await metrics(b);
    // The hog's unsent answer alone is over the budget.
    expect(held.buffered).toBeGreaterThanOrEqual(limit);
    expect(held.received).toBeLessThan(16 * input.length);

    // A second client's request, larger than one socket read: its first piece is read, then its
    // socket is paused like every other — the request is not complete, not answered.
    const big = await noise(600, 600).jpeg({ quality: 95 }).toBuffer();
    expect(big.length).toBeGreaterThan(200 * 1024);
    const c = await FramePeer.connect(b.port);
    const id = c.send({ width: 50, format: 'jpeg' }, big);
    await sleep(1500);
    expect(c.frames).toHaveLength(0);
    expect((await metrics(b)).pauses).toBeGreaterThanOrEqual(1);

    // The hog goes: its buffers are released, the budget drops, the client is read and served.
    hog.destroy();
    expect((await c.answer(id, 15_000)).type).toBe(FrameType.Response);
    c.destroy();
    for (let i = 0; i < 50; i++) {
      const m = await metrics(b);
      if (m.connections === 0) {
        expect(m.buffered).toBe(0);
        break;
      }
      expect(i).toBeLessThan(49);
      await sleep(100);
    }
    b.signal('SIGKILL');
    await b.exited;
  }, 60_000);
});

describe('--max-conns', () => {
  it('beyond it a new connection gets ERR_BUSY (id 0) and is closed; a freed place is reusable', async () => {
    const b = await startMeteredBackend(['--max-conns', '2']);
    const ping = async (c: FramePeer, id: number) => {
      c.writeRaw(encodeFrameToBuffer(pingFrame(id)));
      return (await c.answer(id, 5000)).type;
    };
    const c1 = await FramePeer.connect(b.port);
    const c2 = await FramePeer.connect(b.port);
    expect(await ping(c1, 1)).toBe(FrameType.Pong);
    expect(await ping(c2, 1)).toBe(FrameType.Pong);

    const c3 = await FramePeer.connect(b.port);
    await c3.waitClosed(5000);
    expect(c3.frames).toHaveLength(1);
    expect(c3.frames[0]).toMatchObject({
      type: FrameType.Error,
      requestId: 0,
      header: { code: ErrorCode.Busy },
    });

    c1.destroy();
    for (let i = 0; (await metrics(b)).connections !== 1; i++) {
      expect(i).toBeLessThan(50);
      await sleep(100);
    }
    const c4 = await FramePeer.connect(b.port);
    expect(await ping(c4, 7)).toBe(FrameType.Pong);
    expect((await metrics(b)).busy).toBe(1);
    c2.destroy();
    c4.destroy();
    b.signal('SIGKILL');
    await b.exited;
  });
});
