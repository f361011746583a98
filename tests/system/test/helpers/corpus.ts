/**
 * Test images made on the fly with sharp: deterministic pixels (a seeded PRNG over gradients),
 * small sizes, a mix of formats, written into a temp directory. Also hostile files: a
 * decompression bomb and non-image payloads.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

export type CorpusFormat = 'jpeg' | 'png' | 'webp';

export interface CorpusImage {
  /** Path relative to the corpus root, with `/`. */
  readonly relPath: string;
  readonly absPath: string;
  readonly format: CorpusFormat;
  readonly width: number;
  readonly height: number;
  readonly bytes: Buffer;
}

export interface Corpus {
  readonly dir: string;
  readonly images: readonly CorpusImage[];
  remove(): Promise<void>;
}

/** mulberry32: tiny, seeded, good enough for pixels. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** RGB(A) pixels: two gradients plus seeded speckle so each image differs. */
function pixels(width: number, height: number, channels: 3 | 4, seed: number): Buffer {
  const rnd = prng(seed);
  const buf = Buffer.alloc(width * height * channels);
  const r0 = Math.floor(rnd() * 256);
  const g0 = Math.floor(rnd() * 256);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      const speckle = rnd() < 0.05 ? Math.floor(rnd() * 128) : 0;
      buf[i] = (r0 + Math.floor((x * 255) / width) + speckle) & 255;
      buf[i + 1] = (g0 + Math.floor((y * 255) / height)) & 255;
      buf[i + 2] = ((x ^ y) + speckle) & 255;
      if (channels === 4) buf[i + 3] = 128 + Math.floor((x * 127) / width);
    }
  }
  return buf;
}

export async function makeImage(
  format: CorpusFormat,
  width: number,
  height: number,
  seed: number,
): Promise<Buffer> {
  const channels = format === 'png' && seed % 2 === 0 ? 4 : 3;
  const img = sharp(pixels(width, height, channels, seed), { raw: { width, height, channels } });
  if (format === 'jpeg') return img.jpeg({ quality: 85 }).toBuffer();
  if (format === 'png') return img.png().toBuffer();
  return img.webp({ quality: 80 }).toBuffer();
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `tcpb-${prefix}-`));
}

/**
 * `count` images cycling jpeg/png/webp, sides 48..175 px, some in a subdirectory, names unique.
 */
export async function makeCorpus(
  count: number,
  opts: { seed?: number; subdirs?: boolean } = {},
): Promise<Corpus> {
  const dir = await tempDir('corpus');
  const formats: CorpusFormat[] = ['jpeg', 'png', 'webp'];
  const rnd = prng(opts.seed ?? 7);
  const images: CorpusImage[] = [];
  const ext = { jpeg: 'jpg', png: 'png', webp: 'webp' } as const;
  for (let i = 0; i < count; i++) {
    const format = formats[i % formats.length] as CorpusFormat;
    const width = 48 + Math.floor(rnd() * 128);
    const height = 48 + Math.floor(rnd() * 128);
    const sub = opts.subdirs !== false && i % 5 === 4 ? 'sub/' : '';
    const relPath = `${sub}img-${String(i).padStart(4, '0')}.${ext[format]}`;
    const absPath = path.join(dir, relPath);
    const bytes = await makeImage(format, width, height, (opts.seed ?? 7) * 100_003 + i);
    await mkdir(path.dirname(absPath), { recursive: true });
    await writeFile(absPath, bytes);
    images.push({ relPath, absPath, format, width, height, bytes });
  }
  return { dir, images, remove: () => rm(dir, { recursive: true, force: true }) };
}

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
 * 900 megapixels (2.7 GB as RGB) once decoded — a decompression bomb.
 */
export function pngBomb(side = 30_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  ihdr[10] = 0;
  ihdr[11] = 0;
  ihdr[12] = 0;
  const rowBytes = 1 + Math.ceil(side / 8);
  const raw = Buffer.alloc(rowBytes * side); // ~112 MB of zeros, freed right after
  const idat = deflateSync(raw, { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Payloads that are not images (or only look like one for a few bytes). */
export function nonImages(): { name: string; bytes: Buffer }[] {
  const rnd = prng(99);
  const random = Buffer.alloc(4096);
  for (let i = 0; i < random.length; i++) random[i] = Math.floor(rnd() * 256);
  return [
    { name: 'empty', bytes: Buffer.alloc(0) },
    { name: 'text', bytes: Buffer.from('hello, this is not an image\n'.repeat(20)) },
    { name: 'random', bytes: random },
    {
      name: 'jpeg-magic-then-garbage',
      bytes: Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), random]),
    },
    {
      name: 'png-signature-only',
      bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    },
    {
      name: 'svg-with-external-ref',
      bytes: Buffer.from(
        '<svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
      ),
    },
  ];
}

export async function writeFiles(
  dir: string,
  files: { name: string; bytes: Buffer }[],
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const f of files) await writeFile(path.join(dir, f.name), f.bytes);
}
