import zlib from 'node:zlib';
import { type ImageDimensions, MalformedImageError } from './image-error.js';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** A chunk: 4-byte length, 4-byte type, data, 4-byte CRC over type + data. */
const CHUNK_OVERHEAD = 12;

// zlib.crc32 exists from Node 20.15 (C speed, ~1 GB/s); the table below covers older 20.x.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
let table: Uint32Array | undefined;
function crc32(data: Uint8Array): number {
  if (nativeCrc32) return nativeCrc32(data) >>> 0;
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function fail(message: string): never {
  throw new MalformedImageError('png', message);
}

/**
 * Walks a PNG from its signature to IEND: every chunk inside the data with a correct CRC, IHDR
 * first, at least one IDAT, IEND last with nothing after it. Returns IHDR's dimensions.
 */
export function checkPng(data: Buffer): ImageDimensions {
  if (data.length < SIGNATURE.length || !data.subarray(0, 8).equals(SIGNATURE))
    fail('no PNG signature');
  let at = SIGNATURE.length;
  let dims: ImageDimensions | undefined;
  let idat = false;
  for (let index = 0; ; index++) {
    if (at + CHUNK_OVERHEAD > data.length) fail(`cut short at byte ${at} (no IEND)`);
    const length = data.readUInt32BE(at);
    const type = data.toString('latin1', at + 4, at + 8);
    const end = at + CHUNK_OVERHEAD + length;
    if (length > 0x7fffffff || end > data.length)
      fail(`chunk ${JSON.stringify(type)} runs past the end (${length} bytes at ${at})`);
    const stored = data.readUInt32BE(end - 4);
    if (crc32(data.subarray(at + 4, end - 4)) !== stored)
      fail(`bad CRC in chunk ${JSON.stringify(type)} at byte ${at}`);
    if (index === 0) {
      if (type !== 'IHDR' || length !== 13) fail('first chunk is not IHDR');
      dims = { width: data.readUInt32BE(at + 8), height: data.readUInt32BE(at + 12) };
    } else if (type === 'IDAT') {
      idat = true;
    } else if (type === 'IEND') {
      if (end !== data.length) fail(`${data.length - end} bytes after IEND`);
      if (!idat) fail('no IDAT chunk');
      return dims!;
    }
    at = end;
  }
}
