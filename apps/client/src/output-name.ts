import { MAX_DIMENSION } from './config.js';
import { BadResponseError } from './errors.js';
import type { ScannedImage } from './scan.js';

/**
 * Where a result goes, decided from the LOCAL file only (never from the network): the input's
 * subdirectories, kept, so `a/cat.jpg` and `b/cat.jpg` cannot collide, and a base name.
 * The final name adds `-<W>x<H>.<ext>` from a validated answer.
 */
export interface OutputPlan {
  /** Sanitised subdirectory components under --output ([] for the top level). */
  readonly dirs: readonly string[];
  /** Sanitised base name: the file name without its last extension. */
  readonly base: string;
}

/** Bytes a sanitised base or directory name may take (the name limit is 255 with the suffix). */
const MAX_COMPONENT_BYTES = 150;

/**
 * A file or directory name made safe: letters, digits and `._-+=,@()` kept, anything else
 * (separators, NUL, control characters, shell and Windows specials) becomes `_`; no leading
 * dot (no hidden files, never `.` or `..`), no trailing dot or space; at most 150 bytes; never empty.
 */
export function sanitizeComponent(name: string): string {
  let s = name.normalize('NFC').replace(/[^\p{L}\p{N}._\-+=,@() ]/gu, '_');
  s = s.replace(/^[. ]+/, (m) => '_'.repeat(m.length)).replace(/[. ]+$/, '');
  const chars = Array.from(s);
  while (chars.length > 0 && Buffer.byteLength(chars.join(''), 'utf8') > MAX_COMPONENT_BYTES)
    chars.pop();
  s = chars.join('');
  return s === '' ? '_' : s;
}

function splitExt(fileName: string): { stem: string; ext: string } {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return { stem: fileName, ext: '' };
  return { stem: fileName.slice(0, dot), ext: fileName.slice(dot + 1) };
}

/**
 * Output plans for a whole scan, deterministic for a given set of files: the base name is the
 * file name without its extension; when several files of one directory share that base
 * (`cat.jpg`, `cat.png`), each of them keeps its extension in the base (`cat.jpg-…`, `cat.png-…`);
 * if names still collide after sanitising (case-insensitively, for such file systems), the later
 * ones in path order get `~2`, `~3`…
 */
export function planOutputs(
  images: readonly Pick<ScannedImage, 'relPath'>[],
): Map<string, OutputPlan> {
  const entries = images.map((img) => {
    const parts = img.relPath.split('/');
    const fileName = parts.pop() ?? '';
    const dirs = parts.map(sanitizeComponent);
    return {
      relPath: img.relPath,
      dirs,
      fileName,
      base: sanitizeComponent(splitExt(fileName).stem),
    };
  });
  const keyOf = (e: { dirs: string[]; base: string }) =>
    [...e.dirs, e.base].join('/').toLowerCase();
  const groups = new Map<string, typeof entries>();
  for (const e of entries) {
    const k = keyOf(e);
    const g = groups.get(k);
    if (g) g.push(e);
    else groups.set(k, [e]);
  }
  for (const g of groups.values()) {
    if (g.length > 1) for (const e of g) e.base = sanitizeComponent(e.fileName);
  }
  const sorted = [...entries].sort((a, b) =>
    a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0,
  );
  const taken = new Set<string>();
  const plans = new Map<string, OutputPlan>();
  for (const e of sorted) {
    let base = e.base;
    for (let n = 2; taken.has(keyOf({ dirs: e.dirs, base })); n++) base = `${e.base}~${n}`;
    taken.add(keyOf({ dirs: e.dirs, base }));
    plans.set(e.relPath, Object.freeze({ dirs: Object.freeze(e.dirs), base }));
  }
  return plans;
}

/** Formats an answer may carry, and the file extension each one gets. */
const EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({
  jpeg: 'jpg',
  jpg: 'jpg',
  png: 'png',
  webp: 'webp',
  avif: 'avif',
  heif: 'heif',
  gif: 'gif',
  tiff: 'tiff',
});

export interface CheckedResult {
  readonly width: number;
  readonly height: number;
  readonly format: string;
  readonly ext: string;
}

/**
 * Checks what the network says about a result before any of it is used in a file name:
 * width and height integers in 1..65535 (0 allowed in dry-run), a known format.
 * Throws BadResponseError otherwise.
 */
export function checkResult(header: Record<string, unknown>, dryRun: boolean): CheckedResult {
  const dim = (key: 'width' | 'height'): number => {
    const v = header[key];
    const min = dryRun ? 0 : 1;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > MAX_DIMENSION) {
      throw new BadResponseError(
        `answer ${key} is not an integer in ${min}..${MAX_DIMENSION}: ${describe(v)}`,
      );
    }
    return v;
  };
  const width = dim('width');
  const height = dim('height');
  const format = header.format;
  const ext =
    typeof format === 'string' && Object.hasOwn(EXTENSIONS, format)
      ? EXTENSIONS[format]
      : undefined;
  if (typeof format !== 'string' || ext === undefined) {
    throw new BadResponseError(`answer format is not a known image format: ${describe(format)}`);
  }
  return { width, height, format, ext };
}

/** A short, printable rendering of an untrusted value for an error message. */
function describe(v: unknown): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? typeof v);
  } catch {
    s = typeof v;
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** `<base>-<W>x<H>.<ext>`: the name of a result inside its planned directory. */
export function outputFileName(plan: OutputPlan, result: CheckedResult): string {
  return `${plan.base}-${result.width}x${result.height}.${result.ext}`;
}
