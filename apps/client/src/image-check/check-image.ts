import { checkAvif } from './avif.js';
import { checkGif } from './gif.js';
import { type ImageDimensions, MalformedImageError } from './image-error.js';
import { checkJpeg } from './jpeg.js';
import { checkPng } from './png.js';
import { checkWebp } from './webp.js';

/** Formats whose answers can be checked: what a backend produces (and GIF). */
const CHECKERS: Readonly<Record<string, (data: Buffer) => ImageDimensions | ImageDimensions[]>> =
  Object.freeze({
    jpeg: checkJpeg,
    jpg: checkJpeg,
    png: checkPng,
    webp: checkWebp,
    avif: checkAvif,
    gif: checkGif,
  });

/** Whether an answer of this format can be checked (and so saved). */
export function isCheckableFormat(format: string): boolean {
  return Object.hasOwn(CHECKERS, format);
}

/**
 * Checks that `data` is one complete image of `format` with the announced size, from its own
 * structure: the header, every length field and the format's end marker (PNG chunks and CRCs to
 * IEND, JPEG segments and scans to EOI, the WebP RIFF length, the AVIF box tree, the GIF blocks
 * to the trailer). Pixels are not decoded: the client never links an image library. Throws
 * MalformedImageError saying what is wrong.
 */
export function checkImage(format: string, data: Buffer, width: number, height: number): void {
  const checker = Object.hasOwn(CHECKERS, format) ? CHECKERS[format] : undefined;
  if (!checker) throw new MalformedImageError(format, 'format cannot be checked, not saved');
  const found = checker(data);
  const all = Array.isArray(found) ? found : [found];
  if (!all.some((d) => d.width === width && d.height === height)) {
    const got = all.map((d) => `${d.width}x${d.height}`).join(', ');
    throw new MalformedImageError(
      format,
      `the image is ${got}, the answer announced ${width}x${height}`,
    );
  }
}

export { MalformedImageError };
