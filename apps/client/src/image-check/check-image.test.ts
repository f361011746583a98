import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkImage, isCheckableFormat, MalformedImageError } from './check-image.js';

const W = 20;
const H = 15;

/** What the backend can answer, made by the real encoder (sharp, in tests only). */
async function encode(kind: string): Promise<Buffer> {
  const base = () =>
    sharp({
      create: {
        width: W,
        height: H,
        channels: 4,
        background: { r: 10, g: 200, b: 30, alpha: 0.5 },
        noise: undefined,
      },
    });
  switch (kind) {
    case 'jpeg':
      return base().flatten().jpeg().toBuffer();
    case 'jpeg-progressive':
      return base().flatten().jpeg({ progressive: true }).toBuffer();
    case 'png':
      return base().png().toBuffer();
    case 'png-palette':
      return base().png({ palette: true, quality: 50 }).toBuffer();
    case 'webp':
      return base().flatten().webp().toBuffer();
    case 'webp-alpha':
      return base().webp().toBuffer();
    case 'webp-lossless':
      return base().webp({ lossless: true }).toBuffer();
    case 'avif':
      return base().avif().toBuffer();
    case 'gif':
      return base().gif().toBuffer();
    default:
      throw new Error(kind);
  }
}

const KINDS: [kind: string, format: string][] = [
  ['jpeg', 'jpeg'],
  ['jpeg-progressive', 'jpeg'],
  ['png', 'png'],
  ['png-palette', 'png'],
  ['webp', 'webp'],
  ['webp-alpha', 'webp'],
  ['webp-lossless', 'webp'],
  ['avif', 'avif'],
  ['gif', 'gif'],
];

describe('checkImage: an answer is a complete image of the announced format and size', () => {
  const images = new Map<string, Buffer>();
  beforeAll(async () => {
    for (const [kind] of KINDS) images.set(kind, await encode(kind));
  });

  for (const [kind, format] of KINDS) {
    describe(kind, () => {
      const img = () => images.get(kind)!;
      it('accepts the encoder output with the right size', () => {
        expect(() => checkImage(format, img(), W, H)).not.toThrow();
      });
      it('rejects another announced size', () => {
        expect(() => checkImage(format, img(), W + 1, H)).toThrow(/announced 21x15/);
        expect(() => checkImage(format, img(), W, H - 1)).toThrow(MalformedImageError);
      });
      it('rejects the image cut anywhere (half, last byte, first bytes)', () => {
        const data = img();
        for (const n of [data.length - 1, data.length >> 1, 24, 8]) {
          expect(() => checkImage(format, data.subarray(0, n), W, H), `cut at ${n}`).toThrow(
            MalformedImageError,
          );
        }
      });
      it('rejects bytes after the end', () => {
        const data = Buffer.concat([img(), Buffer.from([0, 0, 0, 0])]);
        expect(() => checkImage(format, data, W, H)).toThrow(MalformedImageError);
      });
      it('rejects random bytes of the same length', () => {
        expect(() => checkImage(format, randomBytes(img().length), W, H)).toThrow(
          MalformedImageError,
        );
      });
      it('rejects another format announced for it', () => {
        const other = format === 'png' ? 'jpeg' : 'png';
        expect(() => checkImage(other, img(), W, H)).toThrow(MalformedImageError);
      });
    });
  }

  it('PNG: a flipped byte inside a chunk fails its CRC', () => {
    const data = Buffer.from(images.get('png')!);
    data[data.length - 20] = data[data.length - 20]! ^ 0xff;
    expect(() => checkImage('png', data, W, H)).toThrow(/bad CRC/);
  });

  it('WebP: a RIFF length that disagrees with the answer fails', () => {
    const data = Buffer.from(images.get('webp')!);
    data.writeUInt32LE(data.readUInt32LE(4) + 2, 4);
    expect(() => checkImage('webp', data, W, H)).toThrow(/RIFF length/);
  });

  it('formats the client cannot check are refused, never saved unchecked', () => {
    expect(isCheckableFormat('tiff')).toBe(false);
    expect(isCheckableFormat('__proto__')).toBe(false);
    expect(() => checkImage('tiff', Buffer.from('II*\0'), W, H)).toThrow(/cannot be checked/);
  });
});
