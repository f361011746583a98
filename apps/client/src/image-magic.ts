/** Image formats the scanner recognises by content, whatever the file is called. */
export type ImageKind = 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'avif' | 'heif';

/** Bytes needed to recognise every supported format. */
export const MAGIC_BYTES = 32;

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1']);
const AVIF_BRANDS = new Set(['avif', 'avis']);

function ascii(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
}

/** The image format of a file from its first bytes, or undefined if it is not one we know. */
export function detectImageKind(head: Uint8Array): ImageKind | undefined {
  const b = head;
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (
    b.length >= 8 &&
    b[0] === 0x89 &&
    ascii(b, 1, 4) === 'PNG' &&
    b[4] === 0x0d &&
    b[5] === 0x0a &&
    b[6] === 0x1a &&
    b[7] === 0x0a
  ) {
    return 'png';
  }
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return 'gif';
  if (
    b.length >= 4 &&
    ((ascii(b, 0, 2) === 'II' && b[2] === 42 && b[3] === 0) ||
      (ascii(b, 0, 2) === 'MM' && b[2] === 0 && b[3] === 42))
  ) {
    return 'tiff';
  }
  // ISO-BMFF: a box size, then 'ftyp' and the major brand.
  if (b.length >= 12 && ascii(b, 4, 8) === 'ftyp') {
    const brand = ascii(b, 8, 12);
    if (AVIF_BRANDS.has(brand)) return 'avif';
    if (HEIF_BRANDS.has(brand)) return 'heif';
  }
  return undefined;
}

/** Image formats recognised by their first bytes that the backend does not take. */
export type UnsupportedKind = 'bmp' | 'ico' | 'psd' | 'jxl' | 'jp2' | 'pdf' | 'qoi';

/** BMP's DIB header sizes (BITMAPCOREHEADER … BITMAPV5HEADER): "BM" alone is too weak a sign. */
const BMP_DIB_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

/**
 * An image (or image-like document) format we recognise but cannot send, so that a BMP is
 * reported as an unsupported format rather than as "not an image".
 */
export function detectUnsupportedKind(head: Uint8Array): UnsupportedKind | undefined {
  const b = head;
  const at = (i: number) => b[i] ?? -1;
  if (b.length >= 18 && ascii(b, 0, 2) === 'BM') {
    const dib = at(14) | (at(15) << 8) | (at(16) << 16) | (at(17) << 24);
    if (BMP_DIB_SIZES.has(dib)) return 'bmp';
  }
  if (b.length >= 6 && at(0) === 0 && at(1) === 0 && at(2) === 1 && at(3) === 0 && at(4) > 0)
    return 'ico';
  if (b.length >= 4 && ascii(b, 0, 4) === '8BPS') return 'psd';
  if (b.length >= 4 && ascii(b, 0, 4) === 'qoif') return 'qoi';
  if (b.length >= 5 && ascii(b, 0, 5) === '%PDF-') return 'pdf';
  if (b.length >= 2 && at(0) === 0xff && at(1) === 0x0a) return 'jxl';
  if (b.length >= 12 && ascii(b, 4, 8) === 'JXL ') return 'jxl';
  if (b.length >= 12 && ascii(b, 4, 8) === 'jP  ') return 'jp2';
  return undefined;
}
