import { ErrorCode, encodeFrameToBuffer, FrameType, requestFrame } from '@tcpbalancer/protocol';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FramePeer,
  noise,
  pngBomb,
  rawPrefix,
  type Spawned,
  scrape,
  startMeteredBackend,
} from './helpers.js';

let backend: Spawned;
let good: Buffer;

beforeAll(async () => {
  backend = await startMeteredBackend(['--max-frame-bytes', '2000000']);
  good = await noise(64, 48).jpeg().toBuffer();
});

describe('bad images: an error frame, and the connection stays usable', () => {
  it.each([
    [
      'a truncated JPEG',
      async () => (await noise(320, 240).jpeg().toBuffer()).subarray(0, 2000),
      ErrorCode.ImageCorrupt,
    ],
    [
      'a PNG with a corrupted chunk',
      async () => {
        const png = Buffer.from(await noise(64, 64).png().toBuffer());
        for (let i = 200; i < 260; i++) png[i]! ^= 0x55;
        return png;
      },
      ErrorCode.ImageCorrupt,
    ],
    [
      'a payload that is not an image',
      async () => Buffer.from('this is not an image, just text'),
      ErrorCode.ImageUnsupported,
    ],
    [
      'an SVG (not on the allow-list)',
      async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
      ErrorCode.ImageUnsupported,
    ],
    ['an empty payload', async () => Buffer.alloc(0), ErrorCode.BadRequest],
  ])('%s', async (_name, make, code) => {
    const c = await FramePeer.connect(backend.port);
    const bad = await make();
    const id = c.send({ width: 32 }, bad);
    const f = await c.answer(id);
    expect(f.type).toBe(FrameType.Error);
    expect(f.header.code).toBe(code);
    expect(typeof f.header.message).toBe('string');
    // Still usable:
    const ok = await c.answer(c.send({ width: 32 }, good));
    expect(ok.type).toBe(FrameType.Response);
    expect(c.isClosed).toBe(false);
    c.destroy();
  });

  it('refuses a pixel bomb from its header, at once, without decoding it', async () => {
    const c = await FramePeer.connect(backend.port);
    // 30000×30000 (900 MP) declared, only the first 64 rows' data sent.
    const bomb = pngBomb(30_000, 64);
    expect(bomb.length).toBeLessThan(4096);
    const t0 = performance.now();
    for (const dryRun of [false, true]) {
      const f = await c.answer(c.send({ width: 100, dryRun }, bomb));
      expect(f.type).toBe(FrameType.Error);
      expect(f.header.code).toBe(ErrorCode.PixelLimit);
    }
    expect(performance.now() - t0).toBeLessThan(2000);
    // 900 MP decoded would be ≥ 900 MB: the process stayed small.
    const rss = (await scrape(backend))('tcpb_backend_process_resident_memory_bytes');
    expect(rss).toBeLessThan(400 * 1024 * 1024);
    expect((await c.answer(c.send({ width: 32 }, good))).type).toBe(FrameType.Response);
    c.destroy();
  });

  it('answers a bad request field with ERR_BAD_REQUEST and keeps the connection', async () => {
    const c = await FramePeer.connect(backend.port);
    for (const header of [{ width: -5 }, { fit: 'squash' }, { format: 'gif' }, { quality: 1000 }]) {
      const id = c.send(header as never, good);
      const f = await c.answer(id);
      expect(f.type).toBe(FrameType.Error);
      expect(f.header.code).toBe(ErrorCode.BadRequest);
    }
    expect((await c.answer(c.send({ width: 32 }, good))).type).toBe(FrameType.Response);
    c.destroy();
  });
});

describe('bad frames: an error frame, then the connection is closed', () => {
  async function expectClosedWith(
    bytes: Buffer | Buffer[],
    code: string,
    opts: { end?: boolean } = {},
  ) {
    const c = await FramePeer.connect(backend.port);
    for (const b of Array.isArray(bytes) ? bytes : [bytes]) c.writeRaw(b);
    if (opts.end) c.socket.end();
    await c.waitClosed(5000);
    const err = c.frames.find((f) => f.type === FrameType.Error && f.requestId === 0);
    expect(err, `frames: ${JSON.stringify(c.frames.map((f) => f.header))}`).toBeDefined();
    expect(err!.header.code).toBe(code);
    return c;
  }

  it('a payload length of 2^53 (and the first answers before it are kept)', async () => {
    const ok = encodeFrameToBuffer(requestFrame(7, { width: 16 }, good));
    const c = await expectClosedWith(
      [ok, rawPrefix({ payloadLength: 2n ** 53n })],
      ErrorCode.FrameTooLarge,
    );
    expect(c.frames[0]!.requestId).toBe(7);
    expect(c.frames[0]!.type).toBe(FrameType.Response);
  });

  it('a payload length of 2^64 − 1', async () => {
    await expectClosedWith(rawPrefix({ payloadLength: 2n ** 64n - 1n }), ErrorCode.FrameTooLarge);
  });

  it('a frame over --max-frame-bytes, while the peer keeps sending its body', async () => {
    const c = await expectClosedWith(
      [rawPrefix({ payloadLength: 3_000_000 }), Buffer.alloc(1_000_000)],
      ErrorCode.FrameTooLarge,
    );
    expect(c.socketError ?? c.decodeError).toBeUndefined();
  });

  it('a header length over 16 KiB', async () => {
    await expectClosedWith(rawPrefix({ headerLength: 100_000 }), ErrorCode.FrameTooLarge);
  });

  it('bad magic (an HTTP request)', async () => {
    await expectClosedWith(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), ErrorCode.BadMagic);
  });

  it('a bad version', async () => {
    await expectClosedWith(rawPrefix({ version: 9 }), ErrorCode.BadVersion);
  });

  it('a bad frame type', async () => {
    await expectClosedWith(rawPrefix({ type: 77 }), ErrorCode.BadFrameType);
  });

  it('a header that is not JSON', async () => {
    await expectClosedWith(
      Buffer.concat([rawPrefix({ headerLength: 5 }), Buffer.from('{oops')]),
      ErrorCode.BadHeader,
    );
  });

  it('a truncated frame (the peer ends inside it)', async () => {
    const whole = encodeFrameToBuffer(requestFrame(3, { width: 16 }, good));
    await expectClosedWith(whole.subarray(0, whole.length - 10), ErrorCode.TruncatedFrame, {
      end: true,
    });
  });

  it('a clean half-close gets every answer, then the end', async () => {
    const c = await FramePeer.connect(backend.port);
    const ids = [c.send({ width: 16 }, good), c.send({ width: 24 }, good)];
    c.socket.end();
    await c.waitClosed(5000);
    expect(c.frames.map((f) => f.requestId).sort()).toEqual(ids.sort());
    expect(c.frames.every((f) => f.type === FrameType.Response)).toBe(true);
  });

  it('the backend survived all of it', async () => {
    const metric = await scrape(backend);
    expect(
      metric('tcpb_backend_connection_errors_total', 'ERR_FRAME_TOO_LARGE'),
    ).toBeGreaterThanOrEqual(4);
    expect(backend.proc.exitCode).toBeNull();
  });
});
