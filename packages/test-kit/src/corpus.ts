/**
 * Test images made on the fly with sharp: deterministic pixels (a seeded PRNG over gradients),
 * small sizes, a mix of formats, written into a temp directory that `remove()` deletes.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { prng } from './prng.js';

export type CorpusFormat = 'jpeg' | 'png' | 'webp';

/** The file extension the client and backend write for each format. */
export const EXTENSIONS: Readonly<Record<CorpusFormat, string>> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
};

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

/** RGB(A) pixels: two gradients plus seeded speckle so that each image differs. */
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

/** One encoded image; even seeds give PNGs an alpha channel. */
export async function makeImage(
  format: CorpusFormat,
  width: number,
  height: number,
  seed = 1,
): Promise<Buffer> {
  const channels = format === 'png' && seed % 2 === 0 ? 4 : 3;
  const img = sharp(pixels(width, height, channels, seed), { raw: { width, height, channels } });
  if (format === 'jpeg') return img.jpeg({ quality: 85 }).toBuffer();
  if (format === 'png') return img.png().toBuffer();
  return img.webp({ quality: 80 }).toBuffer();
}

/** A flat-colour sharp pipeline (RGBA half-transparent with 4 channels). */
export function solidImage(width: number, height: number, channels: 3 | 4 = 3): Sharp {
  const background = channels === 4 ? { r: 40, g: 120, b: 200, alpha: 0.5 } : '#3a7bd5';
  return sharp({ create: { width, height, channels, background } });
}

/** A gaussian-noise sharp pipeline: incompressible, so encoders and resizers really work. */
export function noiseImage(width: number, height: number, channels: 3 | 4 = 3): Sharp {
  return sharp({
    create: {
      width,
      height,
      channels,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  });
}

/** A fresh directory under the system temp dir, named `tcpb-<prefix>-XXXXXX`. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(path.join(tmpdir(), `tcpb-${prefix}-`));
}

/**
 * Twelve mid-size images, like a photo folder: four each of 1024×768 JPEG (`photo-<i>.jpg`),
 * 512×384 PNG with alpha (`badge-<i>.png`) and 800×600 WebP (`shot-<i>.webp`), written into
 * `dir`; `seed` varies the noise. What a rate or throughput run sends (the soak's rate phase, the
 * system bench): big enough that resizing, not framing, dominates.
 */
export async function makePhotoFolder(dir: string, seed = 11): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (let i = 0; i < 4; i++) {
    const s = seed + 2 * i;
    await writeFile(path.join(dir, `photo-${i}.jpg`), await makeImage('jpeg', 1024, 768, s));
    await writeFile(path.join(dir, `badge-${i}.png`), await makeImage('png', 512, 384, s + 9));
    await writeFile(path.join(dir, `shot-${i}.webp`), await makeImage('webp', 800, 600, s + 20));
  }
}

export interface CorpusOptions {
  readonly seed?: number;
  /** Every fifth image in `sub/` (default true). */
  readonly subdirs?: boolean;
  /** Write here instead of a fresh temp directory. */
  readonly dir?: string;
  /** Sides are `minSide … minSide+spread-1` px (defaults 48 and 128). */
  readonly minSide?: number;
  readonly spread?: number;
}

/** `count` images cycling jpeg/png/webp with unique names, some in a subdirectory. */
export async function makeCorpus(count: number, opts: CorpusOptions = {}): Promise<Corpus> {
  const dir = opts.dir ?? (await tempDir('corpus'));
  const seed = opts.seed ?? 7;
  const formats: CorpusFormat[] = ['jpeg', 'png', 'webp'];
  const rnd = prng(seed);
  const minSide = opts.minSide ?? 48;
  const spread = opts.spread ?? 128;
  const images: CorpusImage[] = [];
  for (let i = 0; i < count; i++) {
    const format = formats[i % formats.length] as CorpusFormat;
    const width = minSide + Math.floor(rnd() * spread);
    const height = minSide + Math.floor(rnd() * spread);
    const sub = opts.subdirs !== false && i % 5 === 4 ? 'sub/' : '';
    const relPath = `${sub}img-${String(i).padStart(4, '0')}.${EXTENSIONS[format]}`;
    const absPath = path.join(dir, relPath);
    const bytes = await makeImage(format, width, height, seed * 100_003 + i);
    await mkdir(path.dirname(absPath), { recursive: true });
    await writeFile(absPath, bytes);
    images.push({ relPath, absPath, format, width, height, bytes });
  }
  return { dir, images, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** An image of the mixed directory and the format a resize of it must produce. */
export interface MixedImage {
  readonly rel: string;
  readonly format: CorpusFormat;
}

/**
 * A mixed input directory: JPEG, PNG with alpha, WebP, nested directories, the same base name
 * in two directories, an image without an extension, a text file and a fake .jpg.
 */
export async function makeMixedDir(dir: string): Promise<MixedImage[]> {
  await mkdir(path.join(dir, 'nested/deeper'), { recursive: true });
  await mkdir(path.join(dir, 'other'), { recursive: true });
  const files: [string, CorpusFormat, Promise<Buffer>][] = [
    ['a.jpg', 'jpeg', solidImage(320, 240).jpeg().toBuffer()],
    ['b.png', 'png', solidImage(200, 200, 4).png().toBuffer()],
    ['c.webp', 'webp', solidImage(160, 90).webp().toBuffer()],
    ['nested/a.jpg', 'jpeg', solidImage(300, 300).jpeg().toBuffer()],
    ['nested/deeper/d.png', 'png', solidImage(64, 128, 4).png().toBuffer()],
    // found by its bytes, not its name
    ['other/photo', 'jpeg', solidImage(100, 50).jpeg().toBuffer()],
  ];
  for (const [rel, , bytes] of files) await writeFile(path.join(dir, rel), await bytes);
  await writeFile(path.join(dir, 'readme.txt'), 'not an image\n');
  await writeFile(path.join(dir, 'nested/fake.jpg'), 'this is text pretending to be a jpeg');
  return files.map(([rel, format]) => ({ rel, format }));
}
