/**
 * Recognises the input formats we accept by their first bytes, before any decoder sees the
 * payload: a peer's bytes reach only the loaders on the allow-list (no SVG, PDF, PPM, RAW…
 * parser is ever run on them), and "not an image" is a check, not a libvips message matched by
 * its text.
 */
export type InputFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'heif';

const ascii = (buf: Buffer, at: number, text: string): boolean =>
  buf.length >= at + text.length && buf.toString('latin1', at, at + text.length) === text;

/** The accepted format the payload's signature names, or undefined. */
export function inputSignature(buf: Buffer): InputFormat | undefined {
  if (buf.length < 4) return undefined;
  const b0 = buf[0];
  const b1 = buf[1];
  // JPEG: SOI (FF D8) then the first marker's FF.
  if (b0 === 0xff && b1 === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if (ascii(buf, 0, '\x89PNG\r\n\x1a\n')) return 'png';
  if (ascii(buf, 0, 'RIFF') && ascii(buf, 8, 'WEBP')) return 'webp';
  if (ascii(buf, 0, 'GIF87a') || ascii(buf, 0, 'GIF89a')) return 'gif';
  // TIFF and BigTIFF, little- and big-endian.
  if (ascii(buf, 0, 'II*\0') || ascii(buf, 0, 'MM\0*')) return 'tiff';
  if (ascii(buf, 0, 'II+\0') || ascii(buf, 0, 'MM\0+')) return 'tiff';
  // ISO BMFF (HEIF/AVIF): a box of type 'ftyp' first; the brand is libheif's to judge.
  if (ascii(buf, 4, 'ftyp')) return 'heif';
  return undefined;
}
