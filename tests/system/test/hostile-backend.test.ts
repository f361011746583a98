/**
 * Hostile input against the backend, straight to its port: lying frame lengths, truncated
 * frames, random bytes, a decompression bomb, non-images, bad headers, peers that never read.
 * Each attack must leave the backend up, its RSS bounded, and a concurrent well-behaved
 * request answered.
 */
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { FrameType, requestFrame } from '@tcpbalancer/protocol';
import {
  collectUntilClose,
  connect,
  cpuSeconds,
  FramePeer,
  killAll,
  makeImage,
  nonImages,
  pngBomb,
  type RunningApp,
  rawPrefix,
  sleep,
  startBackend,
} from '@tcpbalancer/test-kit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { underAttack } from './helpers/attack.js';

const IMAGE_ERRORS = [
  'ERR_IMAGE_CORRUPT',
  'ERR_IMAGE_UNSUPPORTED',
  'ERR_BAD_REQUEST',
  'ERR_PIXEL_LIMIT',
];

describe('hostile input → backend', () => {
  let backend: RunningApp;
  let canaryImage: Buffer;

  beforeAll(async () => {
    canaryImage = await makeImage('png', 64, 64, 1);
    backend = await startBackend({ name: 'hb' });
  });
  afterAll(killAll);

  const target = (maxGrowthMiB: number, label?: string) => ({
    label: label ?? expect.getState().currentTestName?.split(' > ').pop()?.slice(0, 40),
    pid: backend.pid,
    canaryPort: backend.port,
    canaryImage,
    maxGrowthMiB,
  });

  it('oversized frame lengths (up to 2^64-1): an ERR_FRAME_TOO_LARGE error, the connection closed, nothing allocated', async () => {
    const lies: { what: string; prefix: Buffer }[] = [
      { what: 'payload 2^53', prefix: rawPrefix({ payloadLength: 2n ** 53n }) },
      { what: 'payload 2^53-1', prefix: rawPrefix({ payloadLength: 2 ** 53 - 1 }) },
      { what: 'payload 2^64-1', prefix: rawPrefix({ payloadLength: 2n ** 64n - 1n }) },
      { what: 'payload 2^32', prefix: rawPrefix({ payloadLength: 2 ** 32 }) },
      { what: 'payload 64 MiB + 1', prefix: rawPrefix({ payloadLength: 64 * 1024 * 1024 + 1 }) },
      { what: 'header 2^32-1', prefix: rawPrefix({ headerLength: 2 ** 32 - 1 }) },
      { what: 'header 16 KiB + 1', prefix: rawPrefix({ headerLength: 16 * 1024 + 1 }) },
      {
        what: 'ping with payload 2^53',
        prefix: rawPrefix({ type: FrameType.Ping, payloadLength: 2n ** 53n }),
      },
    ];
    await underAttack(target(64), async () => {
      const results = await Promise.all(
        lies.map(async ({ what, prefix }) => {
          const peer = await FramePeer.connect(backend.port);
          // The prefix, then a little of the promised body: a decoder that allocates
          // by the declared size would try to allocate up to 2^53 bytes here.
          peer.writeRaw(prefix);
          peer.writeRaw(randomBytes(32 * 1024));
          const closed = await peer.waitFor(() => peer.closed, 5000);
          peer.destroy();
          return { what, closed, frames: peer.frames };
        }),
      );
      for (const r of results) {
        expect(r.closed, `${r.what}: connection closed by the backend`).toBe(true);
        const err = r.frames.find((f) => f.type === FrameType.Error);
        expect(err?.header.code, `${r.what}: error frame`).toBe('ERR_FRAME_TOO_LARGE');
        expect(err?.requestId, `${r.what}: a connection error carries id 0`).toBe(0);
      }
    });
  });

  it('truncated frames: half-closed ones get closed, held ones cost (almost) nothing', async () => {
    const image = await makeImage('jpeg', 200, 200, 5);
    const [prefixAndHeader, payload] = [
      Buffer.concat([
        rawPrefix({ headerLength: 0, payloadLength: image.length }),
        image.subarray(0, 100),
      ]),
      image,
    ];
    const held: net.Socket[] = [];
    await underAttack(target(64), async () => {
      const cuts = [1, 10, 19, 20, 25, prefixAndHeader.length];
      // Cut a real request frame at various points, then half-close: the backend must close too.
      const closes = await Promise.all(
        cuts.map(async (cut) => {
          const s = await connect(backend.port);
          s.write(
            Buffer.concat([
              rawPrefix({ headerLength: 0, payloadLength: payload.length }),
              payload,
            ]).subarray(0, cut),
          );
          s.end();
          const r = await collectUntilClose(s, 5000);
          s.destroy();
          return { cut, closed: r.closed };
        }),
      );
      for (const c of closes)
        expect(c.closed, `cut at ${c.cut} bytes, then FIN: closed`).toBe(true);
      // Cut and reset (RST): nothing to observe but the backend's health.
      for (let i = 0; i < 20; i++) {
        const s = await connect(backend.port);
        s.write(prefixAndHeader);
        s.resetAndDestroy();
      }
      // 200 connections each holding a frame that promises 60 MiB and delivers 100 bytes.
      for (let i = 0; i < 200; i++) {
        const s = await connect(backend.port);
        s.write(Buffer.concat([rawPrefix({ payloadLength: 60 * 1024 * 1024 }), randomBytes(100)]));
        held.push(s);
      }
      await sleep(500);
    });
    for (const s of held) s.destroy();
  });

  it('random bytes: the connection is closed (ERR_BAD_MAGIC / ERR_BAD_VERSION / …), the backend carries on', async () => {
    await underAttack(target(64), async () => {
      const results = await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const peer = await FramePeer.connect(backend.port);
          // a third pure noise, a third with a valid magic, a third with magic and version
          const noise = randomBytes(64 * 1024);
          if (i % 3 >= 1) noise.writeUInt16BE(0x5442, 0);
          if (i % 3 === 2) noise[2] = 1;
          peer.writeRaw(noise);
          const closed = await peer.waitFor(() => peer.closed, 5000);
          peer.destroy();
          return { i, closed, frames: peer.frames };
        }),
      );
      for (const r of results) {
        expect(r.closed, `noise #${r.i}: closed`).toBe(true);
        for (const f of r.frames)
          expect(f.type, `noise #${r.i}: only error frames come back`).toBe(FrameType.Error);
      }
      const codes = new Set(results.flatMap((r) => r.frames.map((f) => f.header.code)));
      expect(codes.has('ERR_BAD_MAGIC'), `codes seen: ${[...codes].join(', ')}`).toBe(true);
    });
  });

  it('a decompression bomb (a ~100 KiB PNG declaring 30000×30000 px) is refused with ERR_PIXEL_LIMIT, without decoding', async () => {
    const bomb = pngBomb(30_000);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    await underAttack(target(150), async () => {
      const answers = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const peer = await FramePeer.connect(backend.port);
          try {
            const t0 = performance.now();
            const f = await peer.request({ width: 100, height: 100, format: 'png' }, bomb, 20_000);
            return { f, ms: performance.now() - t0 };
          } finally {
            peer.destroy();
          }
        }),
      );
      for (const { f, ms } of answers) {
        expect(f.type, JSON.stringify(f.header)).toBe(FrameType.Error);
        expect(f.header.code).toBe('ERR_PIXEL_LIMIT');
        // decoding 900 MP takes many seconds; refusing from the header takes milliseconds
        expect(ms).toBeLessThan(5000);
      }
    });
  });

  it('non-image payloads: a per-request error, and the same connection still serves the next request', async () => {
    await underAttack(target(64), async () => {
      const peer = await FramePeer.connect(backend.port);
      try {
        for (const { name, bytes } of nonImages()) {
          const f = await peer.request({ width: 50, height: 50, name }, bytes, 10_000);
          expect(f.type, `${name}: ${JSON.stringify(f.header)}`).toBe(FrameType.Error);
          expect(IMAGE_ERRORS, `${name}: code`).toContain(f.header.code);
        }
        const ok = await peer.request({ width: 20, height: 20, format: 'png' }, canaryImage);
        expect(ok.type, JSON.stringify(ok.header)).toBe(FrameType.Response);
      } finally {
        peer.destroy();
      }
    });
  });

  it('bad request headers: ERR_BAD_REQUEST / ERR_BAD_HEADER, never a crash', async () => {
    const badFields: Record<string, unknown>[] = [
      { width: -1 },
      { width: 0 },
      { width: 1.5 },
      { width: 'abc' },
      { width: 2 ** 53 },
      { height: 70_000 },
      { fit: 'explode' },
      { format: 'gif' },
      { format: '../../etc/passwd' },
      { quality: 0 },
      { quality: 101 },
      { dryRun: 'yes' },
      { name: 'x'.repeat(5000) },
      { name: 42 },
    ];
    const badJson = [
      '{',
      '[1,2,3]',
      'null',
      '"str"',
      '42',
      '{"width":',
      '\u0000\u0001',
      '{"a":1}}',
    ];
    await underAttack(target(64), async () => {
      /** One frame of `json` as the header (as is) and `payload`: answered with a request error. */
      const refused = async (label: string, requestId: number, json: Buffer, payload: Buffer) => {
        const peer = await FramePeer.connect(backend.port);
        try {
          const prefix = rawPrefix({
            requestId,
            headerLength: json.length,
            payloadLength: payload.length,
          });
          peer.writeRaw(Buffer.concat([prefix, json, payload]));
          await peer.waitFor(() => peer.closed || peer.frames.length > 0, 10_000);
          const f = peer.frames[0];
          expect(f?.type, `${label} → ${JSON.stringify(f?.header)}`).toBe(FrameType.Error);
          expect(['ERR_BAD_REQUEST', 'ERR_BAD_HEADER']).toContain(f?.header.code);
        } finally {
          peer.destroy();
        }
      };
      // Bypass the encoder's own checks: write the JSON as is.
      for (const header of badFields) {
        const json = Buffer.from(JSON.stringify(header));
        await refused(JSON.stringify(header), 7, json, canaryImage);
      }
      for (const text of badJson)
        await refused(JSON.stringify(text), 9, Buffer.from(text, 'utf8'), Buffer.alloc(0));
      // Invalid UTF-8 in the header.
      const peer = await FramePeer.connect(backend.port);
      const bad = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]);
      peer.writeRaw(Buffer.concat([rawPrefix({ requestId: 3, headerLength: bad.length }), bad]));
      await peer.waitFor(() => peer.closed || peer.frames.length > 0, 10_000);
      expect(peer.frames[0]?.type).toBe(FrameType.Error);
      peer.destroy();
    });
  });

  it('unexpected frame types from a client (response, error, pong, 0, 99) are refused without a crash', async () => {
    await underAttack(target(64), async () => {
      for (const type of [FrameType.Response, FrameType.Error, FrameType.Pong, 0, 99]) {
        const peer = await FramePeer.connect(backend.port);
        peer.writeRaw(
          Buffer.concat([rawPrefix({ type, requestId: 5, headerLength: 2 }), Buffer.from('{}')]),
        );
        // Then a good request on the same connection: either answered or the connection was closed.
        peer.write(requestFrame(6, { width: 10, height: 10, format: 'png' }, canaryImage));
        await peer.waitFor(() => peer.closed || peer.frames.some((f) => f.requestId === 6), 10_000);
        for (const f of peer.frames) {
          expect(
            [FrameType.Error, FrameType.Response],
            `type ${type} → ${JSON.stringify(f.header)}`,
          ).toContain(f.type);
        }
        peer.destroy();
      }
      // A ping is answered with a pong carrying its id.
      const peer = await FramePeer.connect(backend.port);
      peer.writeRaw(rawPrefix({ type: FrameType.Ping, requestId: 4242 }));
      await peer.waitFor(() => peer.frames.length > 0 || peer.closed, 5000);
      expect(peer.frames[0]?.type).toBe(FrameType.Pong);
      expect(peer.frames[0]?.requestId).toBe(4242);
      peer.destroy();
    });
  });

  it('slowloris: a byte per second is cut by --idle-timeout, a faster trickle by --frame-timeout', async () => {
    const slow = await startBackend({
      name: 'slow',
      extra: ['--idle-timeout', '700', '--frame-timeout', '2000'],
    });
    const frame = Buffer.concat([
      rawPrefix({ headerLength: 0, payloadLength: canaryImage.length }),
      canaryImage,
    ]);
    type Trickle = { s: net.Socket; sent: number; closedAt: number | undefined; t0: number };
    const open = async (n: number): Promise<Trickle[]> => {
      const out: Trickle[] = [];
      for (let i = 0; i < n; i++) {
        const s = await connect(slow.port);
        const t: Trickle = { s, sent: 0, closedAt: undefined, t0: performance.now() };
        const gone = () => {
          t.closedAt ??= performance.now();
        };
        s.once('end', gone);
        s.once('close', gone);
        out.push(t);
      }
      return out;
    };
    const trickle = (ts: Trickle[], everyMs: number) =>
      setInterval(() => {
        for (const t of ts) {
          if (t.closedAt === undefined && t.sent < frame.length)
            t.s.write(frame.subarray(t.sent, ++t.sent));
        }
      }, everyMs);
    await underAttack(
      { pid: slow.pid, canaryPort: slow.port, canaryImage, maxGrowthMiB: 64, canaryDelayMs: 500 },
      async () => {
        const perSecond = await open(50);
        const fast = await open(50); // 5 bytes/s: never idle for 700 ms, but no frame within 2 s
        const timers = [trickle(perSecond, 1000), trickle(fast, 200)];
        try {
          const all = [...perSecond, ...fast];
          const done = await new Promise<boolean>((resolve) => {
            const t0 = performance.now();
            const poll = setInterval(() => {
              if (all.every((t) => t.closedAt !== undefined) || performance.now() - t0 > 8000) {
                clearInterval(poll);
                resolve(all.every((t) => t.closedAt !== undefined));
              }
            }, 100);
          });
          expect(
            done,
            `${all.filter((t) => t.closedAt === undefined).length} trickling connections still open after 8 s`,
          ).toBe(true);
          const worst = (ts: Trickle[]) => Math.max(...ts.map((t) => (t.closedAt ?? 0) - t.t0));
          expect(worst(perSecond), 'byte/s trickle closed by the idle timeout').toBeLessThan(3500);
          expect(worst(fast), 'fast trickle closed by the frame timeout').toBeLessThan(5000);
        } finally {
          for (const t of timers) clearInterval(t);
          for (const t of [...perSecond, ...fast]) t.s.destroy();
        }
      },
    );
    await slow.stop();
  });

  // Was defect D2 (CHANGELOG.md 0.1.0, fixed): the backend kept resizing for a peer that did not read,
  // holding up to --max-inflight (16) finished answers per connection.
  it('peers that never read, with big responses pending: the backend stops working for them (CPU idle, RSS bounded)', async () => {
    // 1400×1400 noise, JPEG q50 (~0.7 MB) re-encoded as PNG: a ~5.8 MB answer for ~0.4 s of CPU.
    const W = 1400;
    const input = await sharp(randomBytes(W * W * 3), { raw: { width: W, height: W, channels: 3 } })
      .jpeg({ quality: 50 })
      .toBuffer();
    const sockets: net.Socket[] = [];
    let cpuWindow = 0;
    await underAttack({ ...target(150, 'peers that never read'), canaryDelayMs: 500 }, async () => {
      for (let c = 0; c < 2; c++) {
        const peer = await FramePeer.connect(backend.port);
        peer.socket.pause(); // never read
        for (let i = 1; i <= 16; i++) peer.write(requestFrame(i, { format: 'png' }, input));
        sockets.push(peer.socket);
      }
      // The first answer or two per connection fill the socket buffers; after that a backend
      // that does not work for peers who do not read sits idle.
      await sleep(3000);
      const c0 = (await cpuSeconds(backend.pid)) ?? 0;
      await sleep(3000);
      cpuWindow = ((await cpuSeconds(backend.pid)) ?? 0) - c0;
      console.log(
        `[attack] peers that never read: backend CPU ${cpuWindow.toFixed(2)} s in the 3 s after the sockets filled`,
      );
    });
    for (const s of sockets) s.destroy();
    expect(cpuWindow, 'CPU seconds spent in 3 s on answers nobody reads').toBeLessThan(0.6);
  });
});
