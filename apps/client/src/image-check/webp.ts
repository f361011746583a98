import { type ImageDimensions, MalformedImageError } from './image-error.js';

function fail(message: string): never {
  throw new MalformedImageError('webp', message);
}

/** Dimensions from a VP8 (lossy) key frame: a 3-byte frame tag, the start code 9D 01 2A, 14-bit sizes. */
function vp8(data: Buffer, at: number, size: number): ImageDimensions {
  if (size < 10 || data[at + 3] !== 0x9d || data[at + 4] !== 0x01 || data[at + 5] !== 0x2a)
    fail('VP8 chunk without a key frame start code');
  return { width: data.readUInt16LE(at + 6) & 0x3fff, height: data.readUInt16LE(at + 8) & 0x3fff };
}

/** Dimensions from a VP8L (lossless) header: signature 0x2F, then 14-bit width-1 and height-1. */
function vp8l(data: Buffer, at: number, size: number): ImageDimensions {
  if (size < 5 || data[at] !== 0x2f) fail('VP8L chunk without its signature');
  const bits = data.readUInt32LE(at + 1);
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
}

/**
 * Checks a WebP's RIFF container: the RIFF length is the file's, every chunk (padded to even)
 * lies inside it, and there is image data (VP8, VP8L, or frames under VP8X). Returns the canvas
 * size (VP8X) or the bitstream's.
 */
export function checkWebp(data: Buffer): ImageDimensions {
  if (
    data.length < 20 ||
    data.toString('latin1', 0, 4) !== 'RIFF' ||
    data.toString('latin1', 8, 12) !== 'WEBP'
  )
    fail('no RIFF/WEBP header');
  const riffEnd = 8 + data.readUInt32LE(4);
  if (riffEnd !== data.length)
    fail(`RIFF length says ${riffEnd} bytes, the answer has ${data.length}`);
  let canvas: ImageDimensions | undefined;
  let bitstream: ImageDimensions | undefined;
  let frames = 0;
  for (let p = 12; p < riffEnd; ) {
    if (p + 8 > riffEnd) fail(`cut short inside a chunk header at byte ${p}`);
    const type = data.toString('latin1', p, p + 4);
    const size = data.readUInt32LE(p + 4);
    const body = p + 8;
    const end = body + size + (size & 1);
    if (end > riffEnd) fail(`chunk ${JSON.stringify(type)} runs past the RIFF end`);
    if (type === 'VP8X') {
      if (p !== 12 || size < 10) fail('VP8X is not the first chunk or is too short');
      canvas = {
        width: data.readUIntLE(body + 4, 3) + 1,
        height: data.readUIntLE(body + 7, 3) + 1,
      };
    } else if (type === 'VP8 ' || type === 'VP8L') {
      bitstream ??= type === 'VP8 ' ? vp8(data, body, size) : vp8l(data, body, size);
    } else if (type === 'ANMF') {
      frames++;
    }
    p = end;
  }
  if (!bitstream && frames === 0) fail('no image data (VP8, VP8L or ANMF chunk)');
  if (!canvas && !bitstream) fail('no dimensions');
  return canvas ?? bitstream!;
}
