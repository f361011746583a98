import { type ImageDimensions, MalformedImageError } from './image-error.js';

const AVIF_BRANDS = new Set(['avif', 'avis']);
/** Boxes whose children are boxes (meta is a full box: 4 bytes of version and flags first). */
const CONTAINERS: Readonly<Record<string, number>> = { meta: 4, iprp: 0, ipco: 0 };

function fail(message: string): never {
  throw new MalformedImageError('avif', message);
}

interface Box {
  readonly type: string;
  readonly body: number;
  readonly end: number;
}

/** The boxes between `start` and `end`, which they must tile exactly. */
function boxes(data: Buffer, start: number, end: number): Box[] {
  const out: Box[] = [];
  for (let p = start; p < end; ) {
    if (p + 8 > end) fail(`cut short inside a box header at byte ${p}`);
    let size = data.readUInt32BE(p);
    const type = data.toString('latin1', p + 4, p + 8);
    let header = 8;
    if (size === 1) {
      if (p + 16 > end) fail('cut short inside a large box header');
      const large = data.readBigUInt64BE(p + 8);
      if (large > BigInt(end - p)) fail(`box ${JSON.stringify(type)} runs past its parent`);
      size = Number(large);
      header = 16;
    } else if (size === 0) {
      size = end - p; // to the end of the file
    }
    if (size < header || p + size > end) fail(`box ${JSON.stringify(type)} runs past its parent`);
    out.push({ type, body: p + header, end: p + size });
    p += size;
    if (out.length > 10_000) fail('too many boxes');
  }
  return out;
}

/** Every 'ispe' (image spatial extents) under meta/iprp/ipco. */
function extents(data: Buffer, box: Box, depth: number, found: ImageDimensions[]): void {
  if (depth > 4) return;
  const skip = CONTAINERS[box.type];
  if (skip === undefined) return;
  for (const child of boxes(data, box.body + skip, box.end)) {
    if (child.type === 'ispe') {
      if (child.end - child.body < 12) fail('ispe box too short');
      found.push({
        width: data.readUInt32BE(child.body + 4),
        height: data.readUInt32BE(child.body + 8),
      });
    } else {
      extents(data, child, depth + 1, found);
    }
  }
}

/**
 * Checks an AVIF's ISO-BMFF structure: top-level boxes tile the answer exactly, ftyp first with
 * an AVIF brand, a meta box and a media data box. Returns every image extent the file declares
 * (the primary image's and those of auxiliary images such as alpha): the caller looks for the
 * announced size among them.
 */
export function checkAvif(data: Buffer): ImageDimensions[] {
  const top = boxes(data, 0, data.length);
  const ftyp = top[0];
  if (ftyp?.type !== 'ftyp' || ftyp.end - ftyp.body < 8) fail('ftyp is not the first box');
  const brands = [data.toString('latin1', ftyp.body, ftyp.body + 4)];
  for (let p = ftyp.body + 8; p + 4 <= ftyp.end; p += 4)
    brands.push(data.toString('latin1', p, p + 4));
  if (!brands.some((b) => AVIF_BRANDS.has(b))) fail('no AVIF brand in ftyp');
  const meta = top.find((b) => b.type === 'meta');
  if (!meta) fail('no meta box');
  if (!top.some((b) => b.type === 'mdat' && b.end > b.body)) fail('no media data');
  const found: ImageDimensions[] = [];
  extents(data, meta, 0, found);
  if (found.length === 0) fail('no image extents (ispe)');
  return found;
}
