import { FrameType, parseResizeResponse } from '@tcpbalancer/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { FramePeer, noise, type Spawned, startBackend } from './helpers.js';

let backend: Spawned;
beforeAll(async () => {
  backend = await startBackend(['--concurrency', '2', '--max-inflight', '16']);
});

describe('pipelining', () => {
  it('answers out of order, matched by request id', async () => {
    // A big noisy image made into WebP (slow: ~1 s) first, then small fast ones on the same connection.
    const big = await noise(1200, 900).jpeg({ quality: 95 }).toBuffer();
    const small = await noise(64, 48).jpeg().toBuffer();
    const c = await FramePeer.connect(backend.port);
    const bigId = c.send({ width: 1100, format: 'webp', name: 'big' }, big);
    const smallIds = Array.from({ length: 6 }, (_, i) =>
      c.send({ width: 16 + i, name: `small-${i}` }, small),
    );
    await c.until((fs) => fs.length === 7, 30_000);
    const order = c.frames.map((f) => f.requestId);
    // The small ones overtook the big one (it is still being encoded while they are answered).
    expect(order.indexOf(bigId)).toBeGreaterThan(order.indexOf(smallIds[0]!));
    expect(order.at(-1)).toBe(bigId);
    for (const [i, id] of smallIds.entries()) {
      const f = c.frames.find((x) => x.requestId === id)!;
      expect(f.type).toBe(FrameType.Response);
      expect(parseResizeResponse(f.header).width).toBe(16 + i);
    }
    const bf = c.frames.find((x) => x.requestId === bigId)!;
    expect(parseResizeResponse(bf.header)).toMatchObject({
      width: 1100,
      height: 825,
      format: 'webp',
    });
    c.destroy();
  });

  it('keeps many connections with many requests each apart', async () => {
    const img = await noise(120, 90).png().toBuffer();
    const clients = await Promise.all(
      Array.from({ length: 4 }, () => FramePeer.connect(backend.port)),
    );
    for (const [k, c] of clients.entries()) {
      for (let i = 0; i < 10; i++)
        c.send({ width: 10 + k * 10 + i, format: 'webp' }, img, 1000 + i);
    }
    await Promise.all(clients.map((c) => c.until((fs) => fs.length === 10)));
    for (const [k, c] of clients.entries()) {
      for (const f of c.frames) {
        expect(f.type).toBe(FrameType.Response);
        expect(parseResizeResponse(f.header).width).toBe(10 + k * 10 + (f.requestId - 1000));
      }
      c.destroy();
    }
  });
});
