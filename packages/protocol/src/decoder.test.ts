import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './decoder.js';
import { encodeFrameToBuffer } from './encode.js';
import * as errors from './errors.js';
import { type Frame, FrameType, PREFIX_BYTES } from './frame.js';
import { pingFrame } from './messages.js';

const jsonValue = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<unknown>;
const frameArb: fc.Arbitrary<Frame> = fc.record({
  type: fc.constantFrom(...Object.values(FrameType)),
  requestId: fc.nat({ max: 0xffff_ffff }),
  header: fc.dictionary(fc.string({ maxLength: 8 }), jsonValue, { maxKeys: 4 }) as fc.Arbitrary<
    Record<string, unknown>
  >,
  payload: fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
});

/** Splits `buf` at the given cut points (any order, duplicates allowed). */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(buf.subarray(prev, p));
    prev = p;
  }
  out.push(buf.subarray(prev));
  return out;
}

function prefix(opts: {
  magic?: number;
  version?: number;
  type?: number;
  id?: number;
  hl?: number;
  plHi?: number;
  plLo?: number;
}): Buffer {
  const b = Buffer.alloc(PREFIX_BYTES);
  b.writeUInt16BE(opts.magic ?? 0x5442, 0);
  b[2] = opts.version ?? 1;
  b[3] = opts.type ?? 1;
  b.writeUInt32BE(opts.id ?? 1, 4);
  b.writeUInt32BE(opts.hl ?? 0, 8);
  b.writeUInt32BE(opts.plHi ?? 0, 12);
  b.writeUInt32BE(opts.plLo ?? 0, 16);
  return b;
}

function normalise(f: Frame) {
  // JSON drops undefined and -0 the way the wire does.
  return {
    type: f.type,
    requestId: f.requestId,
    header: JSON.parse(JSON.stringify(f.header)),
    payload: Buffer.from(f.payload),
  };
}

describe('FrameDecoder', () => {
  it('round-trips any frames under any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map(encodeFrameToBuffer));
          const dec = new FrameDecoder();
          const got: Frame[] = [];
          for (const piece of split(wire, cuts)) got.push(...dec.push(piece));
          expect(got.map(normalise)).toEqual(frames.map(normalise));
          expect(dec.bufferedBytes).toBe(0);
          expect(dec.inFrame).toBe(false);
          dec.end();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('decodes one byte at a time', () => {
    const f: Frame = {
      type: FrameType.Request,
      requestId: 42,
      header: { width: 3, fit: 'cover' },
      payload: Buffer.from('hello'),
    };
    const wire = encodeFrameToBuffer(f);
    const dec = new FrameDecoder();
    const got: Frame[] = [];
    for (let i = 0; i < wire.length; i++) {
      got.push(...dec.push(wire.subarray(i, i + 1)));
      if (i < wire.length - 1) expect(dec.bufferedBytes).toBe(i + 1);
    }
    expect(got.map(normalise)).toEqual([normalise(f)]);
  });

  it('decodes many frames in one chunk without copying their payloads', () => {
    const frames = Array.from(
      { length: 50 },
      (_, i) =>
        ({
          type: FrameType.Response,
          requestId: i,
          header: { i },
          payload: Buffer.alloc(100, i),
        }) as Frame,
    );
    const wire = Buffer.concat(frames.map(encodeFrameToBuffer));
    const got = new FrameDecoder().push(wire);
    expect(got).toHaveLength(50);
    expect(got[7]!.payload.buffer).toBe(wire.buffer);
    expect(got.map(normalise)).toEqual(frames.map(normalise));
  });

  it('sends an empty header as zero bytes and reads it back as {}', () => {
    const wire = encodeFrameToBuffer(pingFrame(9));
    expect(wire.length).toBe(PREFIX_BYTES);
    expect(new FrameDecoder().push(wire)).toEqual([
      { type: FrameType.Ping, requestId: 9, header: {}, payload: Buffer.alloc(0) },
    ]);
  });

  it('rejects a payload length of 2^53 and of 2^64-1 from the prefix alone', () => {
    for (const [plHi, plLo] of [
      [0x20_0000, 0],
      [0xffff_ffff, 0xffff_ffff],
    ] as const) {
      const dec = new FrameDecoder();
      const err = (() => {
        try {
          dec.push(prefix({ plHi, plLo }));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(errors.FrameTooLargeError);
      expect((err as errors.FrameTooLargeError).code).toBe('ERR_FRAME_TOO_LARGE');
      expect((err as errors.FrameTooLargeError).field).toBe('payload');
      expect(dec.allocatedBytes).toBe(PREFIX_BYTES);
    }
  });

  it('checks header, payload and whole-frame limits', () => {
    expect(() => new FrameDecoder({ maxHeaderBytes: 10 }).push(prefix({ hl: 11 }))).toThrow(
      errors.FrameTooLargeError,
    );
    expect(() => new FrameDecoder({ maxPayloadBytes: 10 }).push(prefix({ plLo: 11 }))).toThrow(
      errors.FrameTooLargeError,
    );
    const dec = new FrameDecoder({ maxFrameBytes: PREFIX_BYTES + 10 });
    expect(() => dec.push(prefix({ hl: 5, plLo: 6 }))).toThrow(/frame length 31/);
    // exactly at the limit is fine
    const ok = new FrameDecoder({ maxFrameBytes: PREFIX_BYTES + 10 });
    expect(
      ok.push(Buffer.concat([prefix({ hl: 2, plLo: 8 }), Buffer.from('{}'), Buffer.alloc(8)])),
    ).toHaveLength(1);
  });

  it('does not allocate for a declared body that never arrives, and grows with what arrives', () => {
    const dec = new FrameDecoder();
    dec.push(prefix({ plLo: 60 * 1024 * 1024 }));
    expect(dec.allocatedBytes).toBe(PREFIX_BYTES);
    let received = 0;
    for (let i = 0; i < 300; i++) {
      dec.push(Buffer.alloc(1000));
      received += 1000;
      expect(dec.allocatedBytes).toBeLessThanOrEqual(
        PREFIX_BYTES + Math.max(64 * 1024, 2 * received),
      );
    }
    expect(dec.bufferedBytes).toBe(PREFIX_BYTES + received);
  });

  it('rejects bad magic at the first byte (an HTTP request is answered at once)', () => {
    const dec = new FrameDecoder();
    expect(() => dec.push(Buffer.from('G'))).toThrow(errors.BadMagicError);
    expect(() => dec.push(Buffer.from('ET'))).toThrow(errors.DecoderClosedError);
    expect(() => new FrameDecoder().push(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).toThrow(
      errors.BadMagicError,
    );
    expect(() => new FrameDecoder().push(Buffer.from([0x54, 0x43]))).toThrow(errors.BadMagicError);
  });

  it('rejects a bad version and a bad frame type early', () => {
    expect(() => new FrameDecoder().push(Buffer.from([0x54, 0x42, 2]))).toThrow(
      errors.BadVersionError,
    );
    expect(() => new FrameDecoder().push(Buffer.from([0x54, 0x42, 1, 0]))).toThrow(
      errors.BadFrameTypeError,
    );
    expect(() => new FrameDecoder().push(prefix({ type: 6 }))).toThrow(errors.BadFrameTypeError);
    expect(() => new FrameDecoder().push(prefix({ version: 0 }))).toThrow(errors.BadVersionError);
  });

  it('rejects a header that is not UTF-8 JSON or not an object', () => {
    for (const h of ['{', '[1]', 'null', '42', '"x"']) {
      const body = Buffer.from(h);
      expect(() =>
        new FrameDecoder().push(Buffer.concat([prefix({ hl: body.length }), body])),
      ).toThrow(errors.BadHeaderError);
    }
    const bad = Buffer.from([0x7b, 0xff, 0x7d]);
    expect(() => new FrameDecoder().push(Buffer.concat([prefix({ hl: 3 }), bad]))).toThrow(
      errors.BadHeaderError,
    );
  });

  it('checks the header is UTF-8 (lone surrogate halves, overlongs), accepts non-ASCII and a BOM', () => {
    for (const bytes of [
      [0x7b, 0xed, 0xa0, 0x80, 0x7d], // an encoded UTF-16 surrogate
      [0x7b, 0xc0, 0xaf, 0x7d], // an overlong '/'
      [0x7b, 0xe2, 0x82], // cut inside a character
    ]) {
      const bad = Buffer.from(bytes);
      expect(() =>
        new FrameDecoder().push(Buffer.concat([prefix({ hl: bad.length }), bad])),
      ).toThrow(errors.BadHeaderError);
    }
    const text = Buffer.from('{"name":"żółw 🐢.jpg"}');
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]);
    for (const body of [text, withBom]) {
      const [f] = new FrameDecoder().push(Buffer.concat([prefix({ hl: body.length }), body]));
      expect(f?.header).toEqual({ name: 'żółw 🐢.jpg' });
    }
  });

  it('hands back the frames decoded before an error in the same chunk', () => {
    const good = encodeFrameToBuffer(pingFrame(1));
    try {
      new FrameDecoder().push(Buffer.concat([good, good, Buffer.from('xx')]));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(errors.BadMagicError);
      expect((err as errors.ProtocolError).decodedFrames).toHaveLength(2);
    }
  });

  it('end() reports a truncated frame and closes the decoder', () => {
    const wire = encodeFrameToBuffer({
      type: FrameType.Request,
      requestId: 1,
      header: {},
      payload: Buffer.alloc(10),
    });
    const dec = new FrameDecoder();
    dec.push(wire.subarray(0, 25));
    expect(() => dec.end()).toThrow(errors.TruncatedFrameError);
    expect(() => dec.push(Buffer.alloc(1))).toThrow(errors.DecoderClosedError);
    const clean = new FrameDecoder();
    clean.push(wire);
    expect(() => clean.end()).not.toThrow();
  });

  it('a random byte stream only ever yields typed errors and stays within the limits', () => {
    const limits = { maxHeaderBytes: 64, maxPayloadBytes: 512 };
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (bytes, cuts) => {
          feedChecked(Buffer.from(bytes), cuts, limits);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a mutated valid stream only ever yields typed errors and stays within the limits', () => {
    const limits = { maxHeaderBytes: 256, maxPayloadBytes: 4096 };
    const small = frameArb.filter((f) => f.payload.length <= 4096);
    fc.assert(
      fc.property(
        fc.array(small, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.nat(), { maxLength: 20 }),
        (frames, mutations, cuts) => {
          const wire = Buffer.from(Buffer.concat(frames.map(encodeFrameToBuffer)));
          for (const [at, value] of mutations) wire[at % wire.length] = value;
          feedChecked(wire, cuts, limits);
        },
      ),
      { numRuns: 500 },
    );
  });
});

function feedChecked(
  wire: Buffer,
  cuts: number[],
  limits: { maxHeaderBytes: number; maxPayloadBytes: number },
): void {
  const dec = new FrameDecoder(limits);
  const max = dec.limits.maxFrameBytes;
  try {
    for (const piece of split(wire, cuts)) {
      const frames = dec.push(piece);
      for (const f of frames) {
        expect(f.payload.length).toBeLessThanOrEqual(limits.maxPayloadBytes);
        expect(typeof f.header).toBe('object');
      }
      expect(dec.bufferedBytes).toBeLessThanOrEqual(max);
      expect(dec.allocatedBytes).toBeLessThanOrEqual(PREFIX_BYTES + max);
    }
    dec.end();
  } catch (err) {
    expect(err).toBeInstanceOf(errors.ProtocolError);
    expect(dec.isClosed).toBe(true);
  }
}
