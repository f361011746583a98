/** Walking output trees and comparing images. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

/** Every regular file under `dir`, as paths relative to it with `/`, sorted; [] if it is absent. */
export async function listFiles(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** Counts files under `dir` (cheap enough to poll every few tens of ms on a few hundred files). */
export async function countFiles(dir: string): Promise<number> {
  return (await listFiles(dir)).length;
}

export interface ImageDiff {
  readonly file: string;
  readonly why: string;
}

async function compareImages(x: Buffer, y: Buffer): Promise<string | undefined> {
  if (x.equals(y)) return undefined;
  const [mx, my] = await Promise.all([sharp(x).metadata(), sharp(y).metadata()]);
  if (mx.format !== my.format || mx.width !== my.width || mx.height !== my.height) {
    return `${mx.format} ${mx.width}×${mx.height} vs ${my.format} ${my.width}×${my.height}`;
  }
  const [px, py] = await Promise.all([
    sharp(x).ensureAlpha().raw().toBuffer(),
    sharp(y).ensureAlpha().raw().toBuffer(),
  ]);
  return px.equals(py) ? undefined : 'same shape, different pixels';
}

/**
 * Compares two output trees: the same file names, and per file the same bytes, or else the
 * same format, dimensions and decoded pixels (raw RGBA via sharp).
 */
export async function compareTrees(expectedDir: string, actualDir: string): Promise<ImageDiff[]> {
  const [a, b] = await Promise.all([listFiles(expectedDir), listFiles(actualDir)]);
  const diffs: ImageDiff[] = [];
  const setA = new Set(a);
  const setB = new Set(b);
  for (const f of a) if (!setB.has(f)) diffs.push({ file: f, why: 'missing' });
  for (const f of b) if (!setA.has(f)) diffs.push({ file: f, why: 'unexpected' });
  for (const f of a) {
    if (!setB.has(f)) continue;
    const [x, y] = await Promise.all([
      readFile(path.join(expectedDir, f)),
      readFile(path.join(actualDir, f)),
    ]);
    const why = await compareImages(x, y);
    if (why) diffs.push({ file: f, why });
  }
  return diffs;
}
