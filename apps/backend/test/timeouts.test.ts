import { ErrorCode, encodeFrameToBuffer, FrameType, requestFrame } from '@tcpbalancer/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import { FramePeer, noise, type Spawned, startBackend } from './helpers.js';

const IDLE = 600;
let backend: Spawned;
let small: Buffer;
beforeAll(async () => {
  backend = await startBackend([
    '--idle-timeout',
    String(IDLE),
    '--frame-timeout',
    '1500',
    '--concurrency',
    '1',
  ]);
  small = await noise(64, 48).jpeg().toBuffer();
});

/** Writes `frame` to `c` one byte every `everyMs` until it is all out or `c` is closed. */
function trickle(c: FramePeer, frame: Buffer, everyMs: number) {
  let sent = 0;
  const timer = setInterval(() => {
    if (sent < frame.length && !c.isClosed) c.writeRaw(frame.subarray(sent, ++sent));
  }, everyMs);
  return { sent: () => sent, stop: () => clearInterval(timer) };
}

describe('idle and trickle', () => {
  it('closes a silent peer after the idle timeout, saying why', async () => {
    const c = await FramePeer.connect(backend.port);
    const ms = await c.waitClosed(5000);
    expect(ms).toBeGreaterThan(IDLE * 0.8);
    expect(ms).toBeLessThan(IDLE + 2500);
    expect(c.frames.at(-1)?.header.code).toBe(ErrorCode.IdleTimeout);
  });

  it('keeps a peer that sends complete frames, even slowly', async () => {
    const c = await FramePeer.connect(backend.port);
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, IDLE / 2));
      const id = c.send({ width: 16 }, small);
      expect((await c.answer(id)).type).toBe(FrameType.Response);
    }
    expect(c.isClosed).toBe(false);
    c.destroy();
  });

  it('closes a peer that trickles a frame a byte at a time (bytes are not progress)', async () => {
    const c = await FramePeer.connect(backend.port);
    const frame = encodeFrameToBuffer(requestFrame(1, { width: 16 }, small));
    const trickling = trickle(c, frame, 25);
    try {
      const ms = await c.waitClosed(6000);
      expect(ms).toBeLessThan(IDLE + 2500);
      expect(trickling.sent()).toBeLessThan(frame.length); // it never got to finish the frame
      expect([ErrorCode.IdleTimeout, 'ERR_FRAME_TIMEOUT']).toContain(c.frames.at(-1)?.header.code);
    } finally {
      trickling.stop();
    }
  });

  it('a frame must complete within --frame-timeout even while other work keeps the connection busy', async () => {
    const big = await noise(800, 600).jpeg().toBuffer();
    const c = await FramePeer.connect(backend.port);
    // Keep a resize queue going (work is progress), and trickle another frame meanwhile.
    for (let k = 0; k < 8; k++) c.send({ width: 1200, format: 'webp' }, big);
    const frame = encodeFrameToBuffer(requestFrame(99, {}, small));
    const trickling = trickle(c, frame, 40);
    try {
      const ms = await c.waitClosed(8000);
      expect(ms).toBeLessThan(5000);
      const codes = c.frames.filter((f) => f.requestId === 0).map((f) => f.header.code);
      // Not the idle timeout: the queued resizes were progress. The frame deadline closed it.
      expect(codes).toEqual(['ERR_FRAME_TIMEOUT']);
      expect(ms).toBeGreaterThan(1000);
    } finally {
      trickling.stop();
    }
  });

  it('a resize longer than the idle timeout is work, not idleness', async () => {
    const big = await noise(1000, 750).jpeg({ quality: 95 }).toBuffer();
    const c = await FramePeer.connect(backend.port);
    const t0 = performance.now();
    // Three in a row with --concurrency 1: the later ones wait in the queue, then resize.
    c.send({ width: 950, format: 'webp' }, big);
    c.send({ width: 900, format: 'webp' }, big);
    const f = await c.answer(c.send({ width: 850, format: 'webp' }, big), 20_000);
    const took = performance.now() - t0;
    expect(f.type).toBe(FrameType.Response);
    // Only meaningful if it did outlast the idle timeout (it does on these machines by far).
    if (took < IDLE * 1.2) console.warn(`resize took only ${took} ms`);
    c.destroy();
  });
});
