import { describe, expect, it } from 'vitest';
import { encodeFrame, encodeFrameToBuffer } from './encode.js';
import { FrameType, PREFIX_BYTES } from './frame.js';

describe('encodeFrame', () => {
  it('lays out the byte table of the README', () => {
    const payload = Buffer.from([1, 2, 3]);
    const [prefix, body] = encodeFrame({
      type: FrameType.Request,
      requestId: 0x01020304,
      header: { a: 1 },
      payload,
    }) as [Buffer, Buffer];
    expect(body).toBe(payload); // not copied
    expect([...prefix.subarray(0, PREFIX_BYTES)]).toEqual([
      0x54, 0x42, 1, 1, 1, 2, 3, 4, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 3,
    ]);
    expect(prefix.subarray(PREFIX_BYTES).toString()).toBe('{"a":1}');
  });

  it('writes payload lengths above 2^32 in the high word', () => {
    // Fake a large buffer's length without allocating it.
    const fake = { length: 2 ** 32 + 5 } as unknown as Buffer;
    const [prefix] = encodeFrame({
      type: FrameType.Response,
      requestId: 1,
      header: {},
      payload: fake,
    }) as [Buffer];
    expect(prefix.readUInt32BE(12)).toBe(1);
    expect(prefix.readUInt32BE(16)).toBe(5);
  });

  it('counts UTF-8 bytes, not UTF-16 units, in the header length', () => {
    const buf = encodeFrameToBuffer({
      type: FrameType.Error,
      requestId: 1,
      header: { message: 'é✓' },
      payload: Buffer.alloc(0),
    });
    expect(buf.readUInt32BE(8)).toBe(Buffer.byteLength('{"message":"é✓"}'));
  });

  it('refuses frames no decoder would accept', () => {
    const base = { type: FrameType.Ping, requestId: 1, header: {}, payload: Buffer.alloc(0) };
    expect(() => encodeFrame({ ...base, type: 9 as FrameType })).toThrow(RangeError);
    expect(() => encodeFrame({ ...base, requestId: -1 })).toThrow(RangeError);
    expect(() => encodeFrame({ ...base, requestId: 2 ** 32 })).toThrow(RangeError);
    expect(() =>
      encodeFrame({ ...base, header: [] as unknown as Record<string, unknown> }),
    ).toThrow(TypeError);
  });
});
