/** Walking output trees and comparing images. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';

/** Every regular file under `dir`, as paths relative to it with `/`, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(r);
      else out.push(r);
    }
  };
  await walk('');
  return out.sort();
}

/** Counts files under `dir` (cheap enough to poll every few tens of ms on a few hundred files). */
export async function countFiles(dir: string): Promise<number> {
  return (await listFiles(dir)).length;
}

export interface ImageDiff {
  readonly file: string;
  readonly why: string;
}

/**
 * Compares two output trees: the same file names, and per file the same bytes, or else the
 * same format, dimensions and decoded pixels (raw RGBA via sharp).
 */
export async function compareTrees(expectedDir: string, actualDir: string): Promise<ImageDiff[]> {
  const [a, b] = await Promise.all([listFiles(expectedDir), listFiles(actualDir)]);
  const diffs: ImageDiff[] = [];
  const setB = new Set(b);
  for (const f of a) if (!setB.has(f)) diffs.push({ file: f, why: 'missing' });
  const setA = new Set(a);
  for (const f of b) if (!setA.has(f)) diffs.push({ file: f, why: 'unexpected' });
  for (const f of a) {
    if (!setB.has(f)) continue;
    const [x, y] = await Promise.all([
      readFile(path.join(expectedDir, f)),
      readFile(path.join(actualDir, f)),
    ]);
    if (x.equals(y)) continue;
    const [mx, my] = await Promise.all([sharp(x).metadata(), sharp(y).metadata()]);
    if (mx.format !== my.format || mx.width !== my.width || mx.height !== my.height) {
      diffs.push({
        file: f,
        why: `${mx.format} ${mx.width}×${mx.height} vs ${my.format} ${my.width}×${my.height}`,
      });
      continue;
    }
    const [px, py] = await Promise.all([
      sharp(x).ensureAlpha().raw().toBuffer(),
      sharp(y).ensureAlpha().raw().toBuffer(),
    ]);
    if (!px.equals(py)) diffs.push({ file: f, why: 'same shape, different pixels' });
  }
  return diffs;
}
