import type { Dirent } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_MAX_PAYLOAD_BYTES } from '@tcpbalancer/protocol';
import { errorCode } from './errors.js';
import {
  detectImageKind,
  detectUnsupportedKind,
  type ImageKind,
  MAGIC_BYTES,
  type UnsupportedKind,
} from './image-magic.js';

export interface ScannedImage {
  /** Absolute path to read it from. */
  readonly absPath: string;
  /** Path relative to the input root, with '/' separators; the key in reports and the output layout. */
  readonly relPath: string;
  readonly kind: ImageKind;
  readonly size: number;
}

export interface SkippedFile {
  readonly relPath: string;
  /**
   * NOT_AN_IMAGE, UNSUPPORTED_FORMAT (an image format the backend does not take: see `format`),
   * EMPTY, TOO_LARGE, IN_OUTPUT, SYMLINK_OUTSIDE, SYMLINK_DIR, NOT_A_FILE, TOO_DEEP, or the fs
   * error code (EACCES…).
   */
  readonly reason: string;
  /** With UNSUPPORTED_FORMAT: what it is (bmp, ico, psd, jxl, jp2, pdf, qoi). */
  readonly format?: UnsupportedKind;
}

export interface ScanResult {
  /** Sorted by relPath, so runs and output names are deterministic. */
  readonly images: ScannedImage[];
  readonly skipped: SkippedFile[];
}

export interface ScanOptions {
  /**
   * Real paths of directories never scanned, nor reached through a symlink: the output folder
   * when it lies inside the input, so that a run never sends its own results again.
   */
  readonly exclude?: readonly string[];
  /**
   * Files larger than this are skipped as TOO_LARGE (default: the protocol's payload limit,
   * which no backend would accept anyway): an input file is never read whole past it.
   */
  readonly maxBytes?: number;
  /** Stops the walk (SIGINT on a huge tree): what was found so far is returned. */
  readonly signal?: AbortSignal;
}

/** Directories deeper than this are not descended (a guard, not a feature). */
const MAX_DEPTH = 64;

async function readHead(absPath: string): Promise<Buffer> {
  const fh = await open(absPath, 'r');
  try {
    const buf = Buffer.alloc(MAGIC_BYTES);
    const { bytesRead } = await fh.read(buf, 0, MAGIC_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Walks `inputDir` recursively and keeps the files whose first bytes are an image (JPEG, PNG,
 * WebP, AVIF/HEIF, GIF, TIFF), whatever their extension. Everything else is reported in
 * `skipped`, never thrown: unreadable files and directories, non-images, empty files.
 * Symlinks: a link to a file inside the input root is scanned under the link's name; a link
 * out of the root, or to a directory (loops), is skipped.
 */
export async function scanDirectory(
  inputDir: string,
  options: ScanOptions = {},
): Promise<ScanResult> {
  const root = await realpath(inputDir);
  const excluded = options.exclude ?? [];
  const isExcluded = (p: string) => excluded.some((dir) => isInside(dir, p));
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const images: ScannedImage[] = [];
  const skipped: SkippedFile[] = [];

  async function checkFile(absPath: string, relPath: string): Promise<void> {
    try {
      const st = await stat(absPath);
      if (!st.isFile()) {
        skipped.push({ relPath, reason: 'NOT_A_FILE' });
        return;
      }
      if (st.size === 0) {
        skipped.push({ relPath, reason: 'EMPTY' });
        return;
      }
      if (st.size > maxBytes) {
        skipped.push({ relPath, reason: 'TOO_LARGE' });
        return;
      }
      const head = await readHead(absPath);
      const kind = detectImageKind(head);
      if (kind !== undefined) {
        images.push({ absPath, relPath, kind, size: st.size });
        return;
      }
      const unsupported = detectUnsupportedKind(head);
      if (unsupported !== undefined)
        skipped.push({ relPath, reason: 'UNSUPPORTED_FORMAT', format: unsupported });
      else skipped.push({ relPath, reason: 'NOT_AN_IMAGE' });
    } catch (err) {
      skipped.push({ relPath, reason: errorCode(err) });
    }
  }

  async function walk(dir: string, rel: string, depth: number): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      skipped.push({ relPath: rel === '' ? '.' : rel, reason: errorCode(err) });
      return;
    }
    for (const entry of entries) {
      if (options.signal?.aborted) return;
      const abs = path.join(dir, entry.name);
      const relPath = rel === '' ? entry.name : `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        // The output folder inside the input: never walked (runClient logs it once).
        if (isExcluded(abs)) continue;
        if (depth >= MAX_DEPTH) skipped.push({ relPath, reason: 'TOO_DEEP' });
        else await walk(abs, relPath, depth + 1);
      } else if (entry.isSymbolicLink()) {
        let target: string;
        try {
          target = await realpath(abs);
        } catch (err) {
          skipped.push({ relPath, reason: errorCode(err) });
          continue;
        }
        if (!isInside(root, target)) {
          skipped.push({ relPath, reason: 'SYMLINK_OUTSIDE' });
          continue;
        }
        if (isExcluded(target)) {
          skipped.push({ relPath, reason: 'IN_OUTPUT' });
          continue;
        }
        const st = await stat(target).catch(() => undefined);
        if (st?.isDirectory()) skipped.push({ relPath, reason: 'SYMLINK_DIR' });
        else await checkFile(target, relPath);
      } else if (entry.isFile()) {
        await checkFile(abs, relPath);
      } else {
        skipped.push({ relPath, reason: 'NOT_A_FILE' });
      }
    }
  }

  await walk(root, '', 0);
  const byPath = (a: { relPath: string }, b: { relPath: string }) =>
    a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0;
  images.sort(byPath);
  skipped.sort(byPath);
  return { images, skipped };
}
