/**
 * A fast-check fuzz run of the backend's frame decoder and request handling over real sockets:
 * frames with random (often lying) fields, headers and payloads, sent in random pieces, then a
 * FIN. Every run must end with the backend closing the connection having sent only well-formed
 * frames; afterwards the backend is up, bounded, and still answers a good request.
 */

import { FrameDecoder, FrameType, PREFIX_BYTES } from '@tcpbalancer/protocol';
import {
  collectUntilClose,
  connect,
  isAlive,
  killAll,
  makeImage,
  type RunningApp,
  resizeOnce,
  rssKiB,
  sample,
  startBackend,
} from '@tcpbalancer/test-kit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);

describe('fuzz: backend decoder over real sockets', () => {
  let backend: RunningApp;
  let image: Buffer;

  beforeAll(async () => {
    image = await makeImage('jpeg', 40, 30, 9);
    backend = await startBackend({ name: 'fz' });
  });
  afterAll(killAll);

  it(`${RUNS} random frames: well-formed answers only, connection closed, backend unharmed`, async () => {
    await resizeOnce(backend.port, image);
    const baseline = (await rssKiB(backend.pid)) ?? 0;
    const sampler = sample(backend.pid, 50);

    const headerArb = fc.oneof(
      // valid requests, so that the resize path is fuzzed too (payload permitting)
      fc
        .record({
          width: fc.integer({ min: 1, max: 300 }),
          height: fc.integer({ min: 1, max: 300 }),
          format: fc.constantFrom('jpeg', 'png', 'webp'),
        })
        .map((o) => Buffer.from(JSON.stringify(o))),
      // plausible request headers with arbitrary values
      fc
        .record(
          {
            width: fc.oneof(fc.integer({ min: -5, max: 3000 }), fc.double(), fc.string()),
            height: fc.oneof(fc.integer({ min: -5, max: 3000 }), fc.constant(null)),
            fit: fc.oneof(
              fc.constantFrom('cover', 'contain', 'inside', 'outside', 'fill'),
              fc.string(),
            ),
            format: fc.oneof(fc.constantFrom('jpeg', 'png', 'webp', 'avif'), fc.string()),
            quality: fc.integer({ min: -10, max: 200 }),
            dryRun: fc.oneof(fc.boolean(), fc.string()),
            name: fc.string({ maxLength: 2000 }),
          },
          { requiredKeys: [] },
        )
        .map((o) => Buffer.from(JSON.stringify(o))),
      fc.json({ maxDepth: 3 }).map((s) => Buffer.from(s)),
      fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
      fc.constant(Buffer.alloc(0)),
    );
    const payloadArb = fc.oneof(
      fc.constant(image),
      fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)),
      // the real image with a few bytes flipped
      fc
        .array(fc.tuple(fc.nat({ max: image.length - 1 }), fc.integer({ min: 0, max: 255 })), {
          maxLength: 8,
        })
        .map((flips) => {
          const b = Buffer.from(image);
          for (const [i, v] of flips) b[i] = v;
          return b;
        }),
      // truncated image
      fc.nat({ max: image.length }).map((n) => image.subarray(0, n)),
    );
    const frameArb = fc.record({
      magic: fc.oneof(
        { weight: 9, arbitrary: fc.constant(0x5442) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
      ),
      version: fc.oneof(
        { weight: 9, arbitrary: fc.constant(1) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) },
      ),
      type: fc.oneof(
        { weight: 8, arbitrary: fc.constant(FrameType.Request) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }) },
      ),
      requestId: fc.oneof(fc.constant(0), fc.nat(), fc.constant(0xffff_ffff)),
      header: headerArb,
      payload: payloadArb,
      // a lying length one time in eight
      headerLie: fc.oneof(
        { weight: 7, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
      ),
      payloadLie: fc.oneof(
        { weight: 7, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) },
      ),
      cuts: fc.array(fc.nat(), { maxLength: 4 }),
      repeat: fc.integer({ min: 1, max: 3 }),
    });

    const seen = { runs: 0, responses: 0, errors: new Map<string, number>() };
    try {
      await fc.assert(
        fc.asyncProperty(frameArb, async (f) => {
          const prefix = Buffer.alloc(PREFIX_BYTES);
          prefix.writeUInt16BE(f.magic, 0);
          prefix[2] = f.version;
          prefix[3] = f.type;
          prefix.writeUInt32BE(f.requestId >>> 0, 4);
          prefix.writeUInt32BE(f.headerLie ?? f.header.length, 8);
          prefix.writeBigUInt64BE(f.payloadLie ?? BigInt(f.payload.length), 12);
          const one = Buffer.concat([prefix, f.header, f.payload]);
          const bytes = Buffer.concat(Array.from({ length: f.repeat }, () => one));
          const s = await connect(backend.port);
          // random fragmentation
          const cuts = [...new Set(f.cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          let at = 0;
          for (const c of [...cuts, bytes.length]) {
            if (c > at) s.write(bytes.subarray(at, c));
            at = Math.max(at, c);
          }
          s.end();
          const r = await collectUntilClose(s, 10_000);
          s.destroy();
          if (!r.closed) throw new Error('the backend did not close the connection after our FIN');
          const dec = new FrameDecoder({ maxPayloadBytes: 64 * 1024 * 1024 });
          const frames = dec.push(r.received);
          if (dec.inFrame)
            throw new Error(
              `the backend sent a truncated frame (${dec.bufferedBytes} bytes pending)`,
            );
          seen.runs++;
          for (const fr of frames) {
            if (fr.type === FrameType.Response) seen.responses++;
            if (fr.type === FrameType.Error) {
              const code = String(fr.header.code);
              seen.errors.set(code, (seen.errors.get(code) ?? 0) + 1);
              if (typeof fr.header.code !== 'string')
                throw new Error(`error frame without a code: ${JSON.stringify(fr.header)}`);
            } else if (fr.type !== FrameType.Response && fr.type !== FrameType.Pong) {
              throw new Error(`the backend sent a frame of type ${fr.type}`);
            }
          }
        }),
        { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261128), endOnFailure: true },
      );
    } finally {
      await sampler.stop();
    }
    console.log(
      `[fuzz] ${seen.runs} runs: ${seen.responses} resize responses; errors ${JSON.stringify(Object.fromEntries(seen.errors))}`,
    );
    expect(seen.responses, 'some fuzzed frames were valid requests').toBeGreaterThan(0);
    expect(await isAlive(backend.pid)).toBe(true);
    const ok = await resizeOnce(backend.port, image);
    expect(ok.type, JSON.stringify(ok.header)).toBe(FrameType.Response);
    const growthMiB = (sampler.maxRssKiB() - baseline) / 1024;
    expect(growthMiB, `RSS growth ${growthMiB.toFixed(1)} MiB`).toBeLessThan(150);
  });
});
