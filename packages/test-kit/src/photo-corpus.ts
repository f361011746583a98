/**
 * A seeded, photographic-like corpus made with sharp: smooth colour fields (a coarse random
 * grid upscaled with a cubic kernel, like skies and walls), grain (seeded noise at full
 * resolution), a little blur, then JPEG (some progressive), PNG with alpha, and WebP.
 * Written to a directory the caller names (the benches use a gitignored `.bench-corpus/`) and
 * regenerated only when the spec changes.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { prng } from './prng.js';

export interface PhotoCorpusSpec {
  seed: number;
  /** How many of each kind; multiply with BENCH_SCALE. */
  jpeg1080: number;
  jpeg12mp: number;
  pngAlpha: number;
  webp: number;
}

export const DEFAULT_PHOTO_SPEC: PhotoCorpusSpec = {
  seed: 20261128,
  jpeg1080: 6,
  jpeg12mp: 3,
  pngAlpha: 3,
  webp: 3,
};

export interface PhotoImage {
  name: string;
  data: Buffer;
}

async function photo(width: number, height: number, rand: () => number, alpha = false) {
  const channels = alpha ? 4 : 3;
  // Coarse colour field: a few cells across, upscaled smoothly.
  const gw = 4 + Math.floor(rand() * 6);
  const gh = 3 + Math.floor(rand() * 5);
  const grid = Buffer.alloc(gw * gh * channels);
  for (let i = 0; i < grid.length; i++) {
    grid[i] = alpha && i % 4 === 3 ? 80 + Math.floor(rand() * 175) : Math.floor(rand() * 256);
  }
  const field = await sharp(grid, { raw: { width: gw, height: gh, channels } })
    .resize(width, height, { kernel: 'cubic', fit: 'fill' })
    .raw()
    .toBuffer();
  // Grain and texture: seeded noise, stronger in some images (foliage) than others (sky).
  const amp = 6 + rand() * 30;
  for (let i = 0; i < field.length; i++) {
    if (alpha && i % 4 === 3) continue;
    const v = field[i]! + (rand() - 0.5) * amp;
    field[i] = Math.max(0, Math.min(255, v));
  }
  return sharp(field, { raw: { width, height, channels } }).blur(0.6 + rand() * 0.8);
}

export async function loadPhotoCorpus(
  dir: string,
  spec: PhotoCorpusSpec = DEFAULT_PHOTO_SPEC,
  log: (line: string) => void = () => {},
): Promise<PhotoImage[]> {
  const manifestPath = join(dir, 'manifest.json');
  const key = JSON.stringify({ generator: 2, ...spec });
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
      key: string;
      files: string[];
    };
    if (manifest.key === key) {
      return Promise.all(
        manifest.files.map(async (name) => ({ name, data: await readFile(join(dir, name)) })),
      );
    }
  } catch {
    // absent or stale: generate
  }
  await mkdir(dir, { recursive: true });
  const rand = prng(spec.seed);
  const out: PhotoImage[] = [];
  const t0 = performance.now();
  for (let i = 0; i < spec.jpeg1080; i++) {
    const data = await (await photo(1920, 1080, rand))
      .jpeg({ quality: 82 + Math.floor(rand() * 12), mozjpeg: false })
      .toBuffer();
    out.push({ name: `photo-1080-${i}.jpg`, data });
  }
  for (let i = 0; i < spec.jpeg12mp; i++) {
    const progressive = i % 3 === 2;
    const data = await (await photo(4000, 3000, rand))
      .jpeg({ quality: 85, progressive })
      .toBuffer();
    out.push({ name: `photo-12mp-${i}${progressive ? '-progressive' : ''}.jpg`, data });
  }
  for (let i = 0; i < spec.pngAlpha; i++) {
    const data = await (await photo(1280, 960, rand, true)).png({ compressionLevel: 6 }).toBuffer();
    out.push({ name: `alpha-${i}.png`, data });
  }
  for (let i = 0; i < spec.webp; i++) {
    const data = await (await photo(1920, 1080, rand)).webp({ quality: 80 }).toBuffer();
    out.push({ name: `photo-1080-${i}.webp`, data });
  }
  await Promise.all(out.map((img) => writeFile(join(dir, img.name), img.data)));
  await writeFile(manifestPath, JSON.stringify({ key, files: out.map((o) => o.name) }, null, 2));
  const mb = out.reduce((s, o) => s + o.data.length, 0) / 1e6;
  log(
    `corpus: generated ${out.length} images (${mb.toFixed(1)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${dir}`,
  );
  return out;
}
