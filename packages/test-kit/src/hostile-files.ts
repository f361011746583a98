/** Files that are not what they claim: a decompression bomb and non-image payloads. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { randomBytes } from './prng.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

/**
 * A valid PNG of `side`×`side` 1-bit grey pixels, all zero: ~100 KiB on disk for 30000², but
 * 900 megapixels (2.7 GB as RGB) once decoded — a decompression bomb. With `rows`, only the
 * first rows' data is there (a few hundred bytes for 64): enough for a reader that refuses from
 * the header, which is all a pixel limit needs to see.
 */
export function pngBomb(side = 30_000, rows = side): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth 1, greyscale (colour type 0), deflate, no filter, no interlace
  const rowBytes = 1 + Math.ceil(side / 8);
  const idat = deflateSync(Buffer.alloc(rowBytes * Math.min(rows, side)), { level: 9 });
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export interface NamedBytes {
  readonly name: string;
  readonly bytes: Buffer;
}

/** Payloads that are not images (or only look like one for a few bytes). */
export function nonImages(): NamedBytes[] {
  const random = randomBytes(4096, 99);
  return [
    { name: 'empty', bytes: Buffer.alloc(0) },
    { name: 'text', bytes: Buffer.from('hello, this is not an image\n'.repeat(20)) },
    { name: 'random', bytes: random },
    {
      name: 'jpeg-magic-then-garbage',
      bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), random]),
    },
    { name: 'png-signature-only', bytes: PNG_SIGNATURE },
    {
      name: 'svg-with-external-ref',
      bytes: Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
      ),
    },
  ];
}

export async function writeFiles(dir: string, files: readonly NamedBytes[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of files) await writeFile(path.join(dir, f.name), f.bytes);
}
