/**
 * The largest width and height each output format can hold, checked before any pixel work so
 * that an impossible request is answered ERR_BAD_REQUEST naming the limit (rather than failing
 * inside the encoder with a message we would have to recognise by its text).
 *
 * Measured with sharp 0.35 (libvips 8.17): one pixel more fails to encode, these succeed.
 */
import { ErrorCode, type OutputFormat } from '@tcpbalancer/protocol';
import { ImageError } from './errors.js';

export interface FormatLimit {
  /** Largest width, and largest height, in pixels. */
  readonly maxSide: number;
  /** Why: said in the error message. */
  readonly reason: string;
}

export const OUTPUT_LIMITS: Readonly<Record<OutputFormat, FormatLimit>> = Object.freeze({
  // JPEG stores 16-bit sides, but libjpeg(-turbo) refuses more than JPEG_MAX_DIMENSION = 65500.
  jpeg: { maxSide: 65_500, reason: 'libjpeg' },
  // The VP8/VP8L bitstream stores each side in 14 bits.
  webp: { maxSide: 16_383, reason: 'sides are stored in 14 bits' },
  // libvips' heifsave refuses more than 16384 per side, as browsers do not show larger AVIFs.
  avif: { maxSide: 16_384, reason: 'libvips heifsave, as browsers' },
  // PNG stores 31-bit sides; libspng's default limit is the same.
  png: { maxSide: 2 ** 31 - 1, reason: 'the PNG header' },
});

/** Throws ERR_BAD_REQUEST when `format` cannot hold an image of `size`. */
export function checkFormatLimit(
  format: OutputFormat,
  size: { readonly width: number; readonly height: number },
): void {
  const { maxSide, reason } = OUTPUT_LIMITS[format];
  if (size.width <= maxSide && size.height <= maxSide) return;
  throw new ImageError(
    ErrorCode.BadRequest,
    `output ${size.width}x${size.height} is larger than ${format.toUpperCase()} can hold: at most ${maxSide} px per side (${reason})`,
  );
}
