import { type ImageDimensions, MalformedImageError } from './image-error.js';

function fail(message: string): never {
  throw new MalformedImageError('gif', message);
}

/** Skips data sub-blocks (a length byte, that many bytes, … a zero) from `at`; returns the end. */
function skipSubBlocks(data: Buffer, at: number): number {
  let p = at;
  for (;;) {
    if (p >= data.length) fail('cut short inside a data block');
    const n = data[p]!;
    p += 1 + n;
    if (n === 0) return p;
  }
}

/**
 * Walks a GIF block by block (colour tables, extensions, image descriptors and their LZW data)
 * to the trailer, which must be the last byte. Returns the logical screen size.
 */
export function checkGif(data: Buffer): ImageDimensions {
  const magic = data.toString('latin1', 0, 6);
  if (data.length < 13 || (magic !== 'GIF87a' && magic !== 'GIF89a')) fail('no GIF header');
  const dims = { width: data.readUInt16LE(6), height: data.readUInt16LE(8) };
  const tableSize = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  let p = 13 + tableSize(data[10]!);
  let images = 0;
  for (;;) {
    if (p >= data.length) fail('cut short (no trailer)');
    const block = data[p]!;
    if (block === 0x3b) {
      if (p + 1 !== data.length) fail(`${data.length - p - 1} bytes after the trailer`);
      if (images === 0) fail('no image in the file');
      return dims;
    }
    if (block === 0x21) {
      p = skipSubBlocks(data, p + 2);
    } else if (block === 0x2c) {
      if (p + 10 > data.length) fail('cut short inside an image descriptor');
      p += 10 + tableSize(data[p + 9]!);
      // The LZW minimum code size, then the image data sub-blocks.
      p = skipSubBlocks(data, p + 1);
      images++;
    } else {
      fail(`unknown block 0x${block.toString(16)} at byte ${p}`);
    }
  }
}
